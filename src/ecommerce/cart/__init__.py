"""The cart context: one Redis hash per customer, priced and checked out through other services."""
