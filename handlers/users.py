"""The users frontend: `python -m handlers.users`."""

from ecommerce.platform.http.app import serve
from ecommerce.users.api import build_app

if __name__ == "__main__":
    serve("users", build_app)
