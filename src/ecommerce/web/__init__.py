"""The web frontend: the storefront at `/` and the operations console at `/ops`.

Static pages (plain JavaScript modules, no build step, nothing from a CDN) that call the public
API through the edge with the access token held in memory, plus the console's admin-only JSON
API under `/ops/api/`.
"""
