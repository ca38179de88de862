"""Event-driven e-commerce backend: the library every handler and worker imports."""
