"""Settings read from the environment, once, at start-up.

The code knows no switch between the local stack and AWS: `AWS_ENDPOINT_URL` and the
per-service `AWS_ENDPOINT_URL_<SERVICE>` are honoured by botocore itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from ecommerce.resources import physical

MOTO_ACCOUNT_ID = "123456789012"
DEFAULT_TOKEN_ISSUER = "ecommerce-users"
"""`iss` of access tokens when TOKEN_ISSUER is unset; in AWS it is https://<public host>."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


@dataclass(frozen=True)
class Settings:
    service: str
    region: str
    account_id: str
    database_url: str
    database_iam_auth: bool
    redis_url: str
    host: str
    port: int
    catalog_url: str
    orders_url: str
    payment_gateway_url: str
    topic_arn: str
    worker_concurrency: int
    worker_grace_seconds: float
    handler_timeout_seconds: float
    access_token_ttl_seconds: int
    token_issuer: str
    reservation_retention_seconds: int = 30 * 24 * 3600
    """How long a settled reservation is kept (the products table's TTL)."""
    payment_gateway_key_secret: str = "payment-gateway-key"
    """The secret (logical name) holding the processor's secret API key; see
    `ecommerce.payments.credentials`."""
    payment_webhook_secrets_secret: str = "payment-webhook-secrets"
    """The secret (logical name) holding the webhook signing secrets, `whsec_...` comma
    separated (several during a rotation)."""
    payment_webhook_tolerance_seconds: int = 300
    """How old a webhook's signed timestamp may be."""
    payment_action_expiry_seconds: float = 900.0
    """How long an order waits for the customer's authentication before it is cancelled
    (`payment_expired`)."""
    payment_expiry_sweep_seconds: float = 30.0
    """How often the orders worker looks for such orders."""
    price_resync_seconds: float = 300.0
    """How often the orders worker reads the catalog's whole product list (prices' resync)."""
    reservation_sweep_seconds: float = 0.0
    """How often the inventory worker deletes expired reservations itself (0: never; AWS's TTL
    does it, the local emulator has none)."""

    @property
    def payment_action_expiry(self) -> timedelta:
        return timedelta(seconds=self.payment_action_expiry_seconds)

    @classmethod
    def from_env(cls, service: str) -> Settings:
        region = _env("AWS_REGION", _env("AWS_DEFAULT_REGION", "us-east-1"))
        account_id = _env("AWS_ACCOUNT_ID", MOTO_ACCOUNT_ID)
        topic = physical("domain-events")
        return cls(
            service=service,
            region=region,
            account_id=account_id,
            database_url=_env("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
            database_iam_auth=_env("DATABASE_IAM_AUTH", "false").lower() in ("true", "1", "yes"),
            redis_url=_env("REDIS_URL", "redis://127.0.0.1:6379/0"),
            host=_env("HOST", "0.0.0.0"),
            port=_env_int("PORT", 8000),
            catalog_url=_env("CATALOG_URL", "http://catalog"),
            orders_url=_env("ORDERS_URL", "http://orders"),
            payment_gateway_url=_env("PAYMENT_GATEWAY_URL", "http://127.0.0.1:8090"),
            topic_arn=_env("ECOMMERCE_TOPIC_ARN", f"arn:aws:sns:{region}:{account_id}:{topic}"),
            worker_concurrency=_env_int("WORKER_CONCURRENCY", 20),
            worker_grace_seconds=_env_float("WORKER_GRACE_SECONDS", 20.0),
            handler_timeout_seconds=_env_float("HANDLER_TIMEOUT_SECONDS", 25.0),
            access_token_ttl_seconds=_env_int("ACCESS_TOKEN_TTL_SECONDS", 900),
            token_issuer=_env("TOKEN_ISSUER", DEFAULT_TOKEN_ISSUER),
            reservation_retention_seconds=_env_int("RESERVATION_RETENTION_SECONDS", 30 * 24 * 3600),
            reservation_sweep_seconds=_env_float("RESERVATION_SWEEP_SECONDS", 0.0),
            price_resync_seconds=_env_float("PRICE_RESYNC_SECONDS", 300.0),
            payment_gateway_key_secret=_env("PAYMENT_GATEWAY_KEY_SECRET", "payment-gateway-key"),
            payment_webhook_secrets_secret=_env(
                "PAYMENT_WEBHOOK_SECRETS_SECRET", "payment-webhook-secrets"
            ),
            payment_webhook_tolerance_seconds=_env_int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", 300),
            payment_action_expiry_seconds=_env_float("PAYMENT_ACTION_EXPIRY_SECONDS", 900.0),
            payment_expiry_sweep_seconds=_env_float("PAYMENT_EXPIRY_SWEEP_SECONDS", 30.0),
        )
