"""The orders store: PostgreSQL through one asyncpg pool. All of the orders SQL lives here.

It is the `OrderRepository` of `ecommerce.orders.repository`, whose contract it keeps.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ecommerce.events import LineItem, Money
from ecommerce.orders.domain import Order, PaymentAction, Reason, Status, Transition
from ecommerce.orders.repository import StoredResponse, outgoing
from ecommerce.platform.messaging.publisher import Outgoing
from ecommerce.platform.tracing import subsegment

__all__ = ["DuplicateKey", "OrderChange", "OrderStore", "StoredResponse", "outgoing"]

AnyConnection = asyncpg.Connection | PoolConnectionProxy
"""A connection of its own or one of the pool's."""


class DuplicateKey(Exception):
    """Another request placed an order under this Idempotency-Key first."""


# A new order in one statement: the key is claimed first, and the order, its history and its
# outbox rows are written only if the claim succeeded (the data-modifying CTEs all run, and the
# foreign key to orders is checked at the end of the statement).
_PLACE = """
WITH claimed AS (
    INSERT INTO idempotency_keys (customer_id, key, fingerprint, order_id, response)
    VALUES ($2, $12, $13, $1, $14::jsonb)
    ON CONFLICT DO NOTHING
    RETURNING order_id
), placed AS (
    INSERT INTO orders (id, customer_id, status, reason, currency, total_amount,
                        payment_token, items, version, created_at, updated_at)
    SELECT order_id, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11 FROM claimed
    RETURNING id
), history AS (
    INSERT INTO order_history (order_id, from_status, to_status, reason, cause, at)
    SELECT id, h.from_status, h.to_status, h.reason, h.cause, h.at
    FROM placed, unnest($15::text[], $16::text[], $17::text[], $18::text[], $19::timestamptz[])
        WITH ORDINALITY AS h(from_status, to_status, reason, cause, at, n)
    ORDER BY h.n
), outbox AS (
    INSERT INTO outbox (id, event_type, body, trace_header)
    SELECT e.id, e.event_type, e.body, e.trace_header
    FROM placed, unnest($20::uuid[], $21::text[], $22::text[], $23::text[])
        AS e(id, event_type, body, trace_header)
)
SELECT EXISTS (SELECT 1 FROM claimed)
"""


async def no_session_reset(_: asyncpg.Connection) -> None:
    """The pool `reset` of the orders store: nothing to undo. Its connections carry no session
    state (no LISTEN, SET or advisory lock), so the reset asyncpg runs on every release by
    default (`RESET ALL; UNLISTEN *; ...`, a round trip) is pointless; an open transaction is
    still rolled back by asyncpg itself before this is called."""


class OrderStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def ping(self) -> None:
        await self._pool.fetchval("SELECT 1")

    async def find_by_key(self, customer_id: str, key: str) -> StoredResponse | None:
        row = await self._pool.fetchrow(
            "SELECT fingerprint, order_id, response FROM idempotency_keys"
            " WHERE customer_id = $1 AND key = $2",
            customer_id,
            key,
        )
        return _stored(row)

    async def place(
        self,
        order: Order,
        *,
        key: str,
        fingerprint: str,
        response: dict[str, Any],
        events: Sequence[Outgoing],
    ) -> StoredResponse | None:
        """Write the order, its history, its key and its outbox rows atomically, in one round
        trip; or, if the key was taken first, write nothing and return what is stored under it
        (a second round trip, only then)."""
        history = order.history
        async with subsegment("postgres", "remote"):
            claimed = await self._pool.fetchval(
                _PLACE,
                uuid.UUID(order.id),
                order.customer_id,
                order.status.value,
                order.reason.value if order.reason else None,
                order.total.currency,
                order.total.amount,
                order.payment_token,
                json.dumps([item.model_dump(mode="json") for item in order.items]),
                order.version,
                order.created_at,
                order.updated_at,
                key,
                fingerprint,
                json.dumps(response),
                [t.from_status.value if t.from_status else None for t in history],
                [t.to_status.value for t in history],
                [t.reason.value if t.reason else None for t in history],
                [t.cause for t in history],
                [t.at for t in history],
                [uuid.UUID(e.id) for e in events],
                [e.event_type for e in events],
                [e.body for e in events],
                [e.trace_header for e in events],
            )
            if claimed:
                return None
            stored = await self.find_by_key(order.customer_id, key)
        if stored is None:
            raise DuplicateKey(key)  # taken, then gone: let the client try again
        return stored

    async def get(self, order_id: str) -> Order | None:
        try:
            key = uuid.UUID(order_id)
        except ValueError:
            return None
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow("SELECT * FROM orders WHERE id = $1", key)
            if row is None:
                return None
            history = await connection.fetch(
                "SELECT * FROM order_history WHERE order_id = $1 ORDER BY id", key
            )
        return _order(row, history)

    async def list_for(
        self, customer_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[Order]:
        if after is None:
            rows = await self._pool.fetch(
                "SELECT * FROM orders WHERE customer_id = $1"
                " ORDER BY created_at DESC, id DESC LIMIT $2",
                customer_id,
                limit,
            )
        else:
            rows = await self._pool.fetch(
                "SELECT * FROM orders WHERE customer_id = $1 AND (created_at, id) < ($2, $3)"
                " ORDER BY created_at DESC, id DESC LIMIT $4",
                customer_id,
                after[0],
                uuid.UUID(after[1]),
                limit,
            )
        return [_order(row, []) for row in rows]

    async def statuses(self, order_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """(status, reason) of each of these orders that exists (reconciliation)."""
        keys = [key for key in map(_uuid_or_none, order_ids) if key is not None]
        rows = await self._pool.fetch(
            "SELECT id, status, reason FROM orders WHERE id = any($1::uuid[])", keys
        )
        return {str(row["id"]): (row["status"], row["reason"]) for row in rows}

    async def confirmed_between(self, start: datetime, end: datetime) -> list[str]:
        """Ids of the orders placed in [start, end) that are CONFIRMED (reconciliation)."""
        rows = await self._pool.fetch(
            "SELECT id FROM orders WHERE status = 'CONFIRMED' AND created_at >= $1"
            " AND created_at < $2",
            start,
            end,
        )
        return [str(row["id"]) for row in rows]

    async def waiting_since_before(self, cutoff: datetime, limit: int) -> list[str]:
        """Ids of orders waiting for the customer's authentication since before `cutoff`."""
        rows = await self._pool.fetch(
            "SELECT id FROM orders WHERE status = 'PAYMENT_ACTION_REQUIRED' AND updated_at < $1"
            " ORDER BY updated_at LIMIT $2",
            cutoff,
            limit,
        )
        return [str(row["id"]) for row in rows]

    @asynccontextmanager
    async def changing(self, order_id: str) -> AsyncIterator[OrderChange]:
        """A transaction holding the order's row lock: the unit of work of one event."""
        async with (
            subsegment("postgres", "remote"),
            self._pool.acquire() as connection,
            connection.transaction(),
        ):
            yield OrderChange(connection, order_id)


class OrderChange:
    def __init__(self, connection: asyncpg.Connection | PoolConnectionProxy, order_id: str) -> None:
        self._connection = connection
        self._order_id = order_id

    async def load(self) -> Order | None:
        try:
            key = uuid.UUID(self._order_id)
        except ValueError:
            return None
        row = await self._connection.fetchrow("SELECT * FROM orders WHERE id = $1 FOR UPDATE", key)
        return None if row is None else _order(row, [])

    async def already_processed(self, event_id: str) -> bool:
        found = await self._connection.fetchval(
            "SELECT true FROM processed_events WHERE event_id = $1", event_id
        )
        return bool(found)

    async def mark_processed(self, event_id: str, event_type: str, outcome: str) -> None:
        order_key = _uuid_or_none(self._order_id)
        await self._connection.execute(
            "INSERT INTO processed_events (event_id, event_type, order_id, outcome)"
            " VALUES ($1, $2, $3, $4)",
            event_id,
            event_type,
            order_key,
            outcome[:500],
        )

    async def save(
        self, order: Order, new: Sequence[Transition], events: Sequence[Outgoing]
    ) -> None:
        await self._connection.execute(
            "UPDATE orders SET status = $2, reason = $3, version = $4, updated_at = $5,"
            " payment_action = $6::jsonb WHERE id = $1",
            uuid.UUID(order.id),
            order.status.value,
            order.reason.value if order.reason else None,
            order.version,
            order.updated_at,
            _action_json(order.payment_action),
        )
        await _insert_history(self._connection, order.id, new)
        await _insert_outbox(self._connection, events)


async def _insert_history(
    connection: AnyConnection, order_id: str, transitions: Sequence[Transition]
) -> None:
    if not transitions:
        return
    await connection.executemany(
        "INSERT INTO order_history (order_id, from_status, to_status, reason, cause, at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (
                uuid.UUID(order_id),
                t.from_status.value if t.from_status else None,
                t.to_status.value,
                t.reason.value if t.reason else None,
                t.cause,
                t.at,
            )
            for t in transitions
        ],
    )


async def _insert_outbox(connection: AnyConnection, events: Sequence[Outgoing]) -> None:
    if not events:
        return
    await connection.executemany(
        "INSERT INTO outbox (id, event_type, body, trace_header) VALUES ($1, $2, $3, $4)",
        [(uuid.UUID(e.id), e.event_type, e.body, e.trace_header) for e in events],
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _stored(row: asyncpg.Record | None) -> StoredResponse | None:
    if row is None:
        return None
    response = row["response"]
    return StoredResponse(
        fingerprint=row["fingerprint"],
        order_id=str(row["order_id"]),
        response=json.loads(response) if isinstance(response, str) else response,
    )


def _action_json(action: PaymentAction | None) -> str | None:
    if action is None:
        return None
    return json.dumps(
        {
            "payment_id": action.payment_id,
            "client_secret": action.client_secret,
            "next_action": action.next_action,
        }
    )


def _action(value: object) -> PaymentAction | None:
    document = json.loads(value) if isinstance(value, str) else value
    if not isinstance(document, dict):
        return None
    return PaymentAction(document["payment_id"], document["client_secret"], document["next_action"])


def _order(row: asyncpg.Record, history: Sequence[asyncpg.Record]) -> Order:
    items = json.loads(row["items"]) if isinstance(row["items"], str) else row["items"]
    return Order(
        payment_action=_action(row.get("payment_action")),
        id=str(row["id"]),
        customer_id=row["customer_id"],
        status=Status(row["status"]),
        reason=Reason(row["reason"]) if row["reason"] else None,
        items=tuple(LineItem.model_validate(item) for item in items),
        total=Money(amount=row["total_amount"], currency=row["currency"].strip()),
        payment_token=row["payment_token"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        history=[
            Transition(
                Status(h["from_status"]) if h["from_status"] else None,
                Status(h["to_status"]),
                Reason(h["reason"]) if h["reason"] else None,
                h["cause"],
                h["at"],
            )
            for h in history
        ],
    )
