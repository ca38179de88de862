"""A Stripe-compatible payment gateway simulator for development and tests.

Run it with `python -m ecommerce.gateway_sim`. It speaks the subset of Stripe's v1 API that the
payments worker uses (payment intents, refunds, lists, `Idempotency-Key`), keeps its state in
memory, and can add latency and transient errors (see `config.py`).

Every `sk_test_...` key is its own account, as on Stripe: objects and idempotency keys made with
one key are invisible to another.
"""

from ecommerce.gateway_sim.app import create_app
from ecommerce.gateway_sim.config import Latency, SimConfig

__all__ = ["Latency", "SimConfig", "create_app"]
