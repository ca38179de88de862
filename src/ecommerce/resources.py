"""The one declaration of every AWS resource the system uses.

The local stack creates these, Terraform declares them (a test keeps the two in step), and the
services look them up by these names. Physical names carry a prefix, `ECOMMERCE_PREFIX`
(default ``ecommerce``), so that several environments can share an account.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

MAX_RECEIVE_COUNT = 5
"""Deliveries before SQS's redrive policy moves a message to its queue's DLQ."""


@dataclass(frozen=True)
class Queue:
    name: str
    event_types: tuple[str, ...]
    """Filter policy on the `event_type` message attribute; empty means not fed by the topic."""
    visibility_timeout: int = 30
    max_receive_count: int = MAX_RECEIVE_COUNT

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


@dataclass(frozen=True)
class Index:
    """A global secondary index: string keys, every attribute projected."""

    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    hash_key: str = "pk"
    range_key: str | None = None
    gsis: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    """Items expire at the epoch seconds this attribute holds (DynamoDB TTL)."""


@dataclass(frozen=True)
class BucketNotification:
    """S3 `ObjectCreated` events of the keys under `prefix` in `bucket` are sent to `queue`."""

    bucket: str
    queue: str
    prefix: str
    events: tuple[str, ...] = ("s3:ObjectCreated:*",)


@dataclass(frozen=True)
class Secret:
    name: str
    description: str


@dataclass(frozen=True)
class Resources:
    topic: str = "domain-events"
    queues: tuple[Queue, ...] = field(
        default_factory=lambda: (
            Queue("inventory", ("OrderPlaced", "OrderConfirmed", "OrderCancelled")),
            Queue(
                "orders",
                (
                    "InventoryReserved",
                    "InventoryRejected",
                    "PaymentActionRequired",
                    "PaymentSucceeded",
                    "PaymentFailed",
                    "ProductChanged",
                ),
            ),
            Queue("payments", ("InventoryReserved", "OrderCancelled"), visibility_timeout=60),
            Queue("images", (), visibility_timeout=120),
            # Fed by the webhooks frontend (verified processor events), not by the topic.
            Queue("payment-webhooks", (), visibility_timeout=60),
        )
    )
    tables: tuple[Table, ...] = (
        Table("users"),
        # by-category serves GET /products?category= (reservation items have no category);
        # settled reservations expire (ecommerce.catalog.inventory.reservation_store).
        Table(
            "products",
            gsis=(Index("by-category", "category", "pk"),),
            ttl_attribute="expires_at",
        ),
        # The marks of processed webhooks expire (ecommerce.payments.ledger); payments do not.
        Table("payments", ttl_attribute="expires_at"),
    )
    buckets: tuple[str, ...] = ("product-images",)
    bucket_notifications: tuple[BucketNotification, ...] = (
        # Uploads only: the images worker writes thumbnails elsewhere, so they never loop.
        BucketNotification("product-images", "images", "uploads/"),
    )
    secrets: tuple[Secret, ...] = (
        Secret("jwt-signing-keys", "Private keys that sign access tokens (users service)"),
        Secret("jwt-public-keys", "JWKS of every current token-signing key (all services)"),
        Secret("payment-gateway-key", "Secret API key of the payment processor (payments worker)"),
        Secret(
            "payment-webhook-secrets",
            "Signing secrets of the processor's webhooks (payments webhooks frontend)",
        ),
    )

    def queue(self, name: str) -> Queue:
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(name)


RESOURCES = Resources()


def prefix() -> str:
    return os.environ.get("ECOMMERCE_PREFIX", "ecommerce")


def physical(name: str) -> str:
    """The deployed name of a logical resource: `ecommerce-orders`, `ecommerce-users`, ..."""
    return f"{prefix()}-{name}"


def secret_id(name: str) -> str:
    """Secrets are named like paths: `ecommerce/jwt-signing-keys`."""
    return f"{prefix()}/{name}"
