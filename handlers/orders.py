"""The orders frontend: `python -m handlers.orders`."""

from ecommerce.orders.api import build_app
from ecommerce.platform.http.app import serve

if __name__ == "__main__":
    serve("orders", build_app)
