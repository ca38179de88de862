"""What the orders use cases need of the orders' store: `OrderStore` is the PostgreSQL one.
The use cases import this, never the store (an import-linter contract in pyproject.toml).

The contract every implementation keeps:

- `place` writes the order, its history, its Idempotency-Key and its outbox rows together, or,
  when the key was taken first (by this customer), writes nothing at all and returns what is
  stored under the key.
- `changing` is the unit of work of one event: while it is open no other `changing` of the
  same order runs (the row lock); what `save` and `mark_processed` wrote becomes visible when
  the block ends, and none of it if the block raises.
- The outbox rows of a unit of work are published later by the relay, in the order written.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ecommerce.events import Envelope
from ecommerce.orders.domain import Order, Transition
from ecommerce.platform.messaging.publisher import Outgoing


@dataclass(frozen=True)
class StoredResponse:
    """What an Idempotency-Key holds: the first request's fingerprint and response."""

    fingerprint: str
    order_id: str
    response: dict[str, Any]


def outgoing(events: Sequence[Envelope], trace_header: str | None) -> list[Outgoing]:
    """The outbox rows of these events."""
    return [Outgoing.of(event, trace_header) for event in events]


class OrderChanges(Protocol):
    """One order, locked for the length of a `changing` block."""

    async def load(self) -> Order | None:
        """The order without its history; None if there is none (or the id is not a uuid)."""
        ...

    async def already_processed(self, event_id: str) -> bool: ...

    async def mark_processed(self, event_id: str, event_type: str, outcome: str) -> None:
        """Remember the event as applied; marking the same event id twice is an error."""
        ...

    async def save(
        self, order: Order, new: Sequence[Transition], events: Sequence[Outgoing]
    ) -> None:
        """Store the order's state, append `new` to its history and `events` to the outbox."""
        ...


class OrderRepository(Protocol):
    async def find_by_key(self, customer_id: str, key: str) -> StoredResponse | None: ...

    async def place(
        self,
        order: Order,
        *,
        key: str,
        fingerprint: str,
        response: dict[str, Any],
        events: Sequence[Outgoing],
    ) -> StoredResponse | None:
        """Write everything and return None, or nothing and return what the key holds."""
        ...

    async def get(self, order_id: str) -> Order | None:
        """The order with its history, oldest first."""
        ...

    async def list_for(
        self, customer_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[Order]:
        """The customer's orders, newest first (by creation time, then id), those strictly
        before `after` if given; without their history."""
        ...

    async def waiting_since_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Ids of PAYMENT_ACTION_REQUIRED orders last changed before `cutoff`, oldest first."""
        ...

    def changing(self, order_id: str) -> AbstractAsyncContextManager[OrderChanges]:
        """The order's unit of work (see the module's docstring)."""
        ...
