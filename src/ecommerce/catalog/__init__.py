"""Catalog: three subdomains in one deployable context.

- `products`: the product record, its table items and store, the public and admin routes,
  categories and the demo catalog.
- `images`: product image uploads, their checks and thumbnails, the bucket, and the images
  worker's use case and writes.
- `inventory`: stock reservations for orders, and the inventory worker's use cases.
"""
