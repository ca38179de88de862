"""Orders: placing, reading and listing orders, and the saga's state on the orders side."""
