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
class Table:
    name: str
    hash_key: str = "pk"
    range_key: str | None = None


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
                ("InventoryReserved", "InventoryRejected", "PaymentSucceeded", "PaymentFailed"),
            ),
            Queue("payments", ("InventoryReserved", "OrderCancelled"), visibility_timeout=60),
            Queue("images", (), visibility_timeout=120),
        )
    )
    tables: tuple[Table, ...] = (Table("users"), Table("products"), Table("payments"))
    buckets: tuple[str, ...] = ("product-images",)
    secrets: tuple[Secret, ...] = (
        Secret("jwt-signing-keys", "Private keys that sign access tokens (users service)"),
        Secret("jwt-public-keys", "JWKS of every current token-signing key (all services)"),
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
