"""The catalog frontend: `python -m handlers.catalog`."""

from ecommerce.catalog.products.public_api import build_app
from ecommerce.platform.http.app import serve

if __name__ == "__main__":
    serve("catalog", build_app)
