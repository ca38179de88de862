"""Settings read from the environment, once, at start-up, through the deployable's own model
(`platform.settings_models`: types, bounds, and one-line errors that name the variable).

The code knows no switch between the local stack and AWS: `AWS_ENDPOINT_URL` and the
per-service `AWS_ENDPOINT_URL_<SERVICE>` are honoured by botocore itself.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    price_resync_seconds: float = 300.0
    """How often the orders worker reads the catalog's whole product list (prices' resync)."""
    reservation_sweep_seconds: float = 0.0
    """How often the inventory worker deletes expired reservations itself (0: never; AWS's TTL
    does it, the local emulator has none)."""

    @classmethod
    def from_env(cls, service: str) -> Settings:
        """The settings of deployable `service`, read through its model; `SettingsError` if a
        variable it reads is bad. Settings its model does not hold keep their defaults."""
        model = MODELS.get(service, EverySetting)
        values: dict[str, Any] = {**defaults(), **read(model).model_dump()}
        region = values["aws_region"]
        account_id = values["aws_account_id"]
        topic = physical("domain-events")
        return cls(
            service=service,
            region=region,
            account_id=account_id,
            database_url=values["database_url"],
            database_iam_auth=values["database_iam_auth"],
            redis_url=values["redis_url"],
            host=values["host"],
            port=values["port"],
            catalog_url=values["catalog_url"],
            orders_url=values["orders_url"],
            payment_gateway_url=values["payment_gateway_url"],
            topic_arn=values["ecommerce_topic_arn"] or f"arn:aws:sns:{region}:{account_id}:{topic}",
            worker_concurrency=values["worker_concurrency"],
            worker_grace_seconds=values["worker_grace_seconds"],
            handler_timeout_seconds=values["handler_timeout_seconds"],
            access_token_ttl_seconds=values["access_token_ttl_seconds"],
            token_issuer=values["token_issuer"],
            reservation_retention_seconds=values["reservation_retention_seconds"],
            reservation_sweep_seconds=values["reservation_sweep_seconds"],
            price_resync_seconds=values["price_resync_seconds"],
        )
