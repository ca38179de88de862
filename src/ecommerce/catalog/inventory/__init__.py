"""Stock reservations for orders: the record, its store, and the inventory worker's use cases."""
