"""The one table of what the local stack runs: every handler, worker and the gateway simulator.

Each entry is started as `python -m <module>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GATEWAY = "gateway"
    """The payment gateway simulator: listens on PORT; replaced by PAYMENT_GATEWAY_URL."""
    HANDLER = "handler"
    """An HTTP frontend: listens on PORT; the edge routes to it by `service`."""
    WORKER = "worker"
    """A queue consumer: no port."""


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    module: str
    kind: Kind
    service: str | None = None
    """For handlers: the service name of `ecommerce.edge_routes` it answers for."""

    @property
    def listens(self) -> bool:
        return self.kind is not Kind.WORKER


PROCESSES: tuple[ProcessSpec, ...] = (
    ProcessSpec("gateway-sim", "ecommerce.gateway_sim", Kind.GATEWAY),
    ProcessSpec("users", "handlers.users", Kind.HANDLER, "users"),
    ProcessSpec("catalog", "handlers.catalog", Kind.HANDLER, "catalog"),
    ProcessSpec("cart", "handlers.cart", Kind.HANDLER, "cart"),
    ProcessSpec("orders", "handlers.orders", Kind.HANDLER, "orders"),
    ProcessSpec("webhooks", "handlers.webhooks", Kind.HANDLER, "webhooks"),
    ProcessSpec("web", "handlers.web", Kind.HANDLER, "web"),
    ProcessSpec("inventory-worker", "workers.inventory", Kind.WORKER),
    ProcessSpec("orders-worker", "workers.orders", Kind.WORKER),
    ProcessSpec("payments-worker", "workers.payments", Kind.WORKER),
    ProcessSpec("images-worker", "workers.images", Kind.WORKER),
    ProcessSpec("outbox-relay", "workers.outbox_relay", Kind.WORKER),
)
