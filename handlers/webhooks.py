"""The payment processor's webhooks frontend: `python -m handlers.webhooks`."""

from ecommerce.payments.webhooks_api import build_app
from ecommerce.platform.http.app import serve

if __name__ == "__main__":
    serve("webhooks", build_app)
