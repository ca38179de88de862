"""Settings read from the environment, once, at start-up, through the deployable's own model
(`platform.settings_models`: types, bounds, and one-line errors that name the variable).

The code knows no switch between the local stack and AWS: `AWS_ENDPOINT_URL` and the
per-service `AWS_ENDPOINT_URL_<SERVICE>` are honoured by botocore itself.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from ecommerce.platform.settings_models import (
    DEFAULT_TOKEN_ISSUER,
    MODELS,
    MOTO_ACCOUNT_ID,
    EverySetting,
    SettingsError,
    defaults,
    read,
)
from ecommerce.resources import physical

__all__ = ["DEFAULT_TOKEN_ISSUER", "MOTO_ACCOUNT_ID", "Settings", "SettingsError"]


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
        """The settings of deployable `service`, read through its model; `SettingsError` if a
        variable it reads is bad. Settings its model does not hold keep their defaults."""
        model = MODELS.get(service, EverySetting)
        values: dict[str, Any] = {**defaults(), **read(model).model_dump()}
        region, account_id = values["aws_region"], values["aws_account_id"]
        topic_arn = values["ecommerce_topic_arn"] or (
            f"arn:aws:sns:{region}:{account_id}:{physical('domain-events')}"
        )
        named = {"region": "aws_region", "account_id": "aws_account_id"}
        return cls(
            service=service,
            topic_arn=topic_arn,
            **{
                field.name: values[named.get(field.name, field.name)]
                for field in fields(cls)
                if field.name not in ("service", "topic_arn")
            },
        )
