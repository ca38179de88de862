"""The cart frontend: `python -m handlers.cart`."""

from ecommerce.cart.api import build_app
from ecommerce.platform.http.app import serve

if __name__ == "__main__":
    serve("cart", build_app)
