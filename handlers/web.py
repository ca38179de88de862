"""The web frontend (storefront and operations console): `python -m handlers.web`."""

from ecommerce.platform.http.app import serve
from ecommerce.web.app import build_app

if __name__ == "__main__":
    serve("web", build_app)
