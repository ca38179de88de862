"""Catalog: products, categories, images and stock, and the inventory worker."""
