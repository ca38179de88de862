"""What `ecommerce audit` reads: each store as it is now, read-only, into an audit `Snapshot`.

- orders and the outbox from PostgreSQL (SELECTs only);
- products' stock and reservations from the products table, the ledger from the payments
  table (DynamoDB Scans, strongly consistent);
- each declared queue's DLQ through `ops.dlq.peek`, which hands every message straight back;
- the gateway's payment intents and refunds, when a gateway URL is given (its Stripe-style
  listing API, page by page).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg

from ecommerce.ops.audit import (
    DeadLetterRow,
    GatewayCharge,
    OrderRow,
    PaymentRow,
    ReservationRow,
    Snapshot,
)
from ecommerce.ops.dlq import peek, queue_depth, resolve_pair
from ecommerce.platform.dynamodb import scan_items, text_of
from ecommerce.resources import RESOURCES, physical

PAGE = 100
GATEWAY_ATTEMPTS = 6


async def read_snapshot(
    connection: asyncpg.Connection,
    dynamodb: Any,
    sqs: Any,
    *,
    gateway_url: str | None = None,
    gateway_key: str = "",
    dead_letters_per_queue: int = 100,
) -> Snapshot:
    taken_at = datetime.now(UTC)
    orders = await read_orders(connection)
    outbox = await read_outbox(connection)
    stock, reservations = await read_products(dynamodb)
    payments = await read_payments(dynamodb)
    letters = await read_dead_letters(sqs, dead_letters_per_queue)
    gateway = await read_gateway(gateway_url, gateway_key) if gateway_url else None
    return Snapshot(taken_at, orders, reservations, stock, payments, outbox, letters, gateway)


async def read_orders(connection: asyncpg.Connection) -> list[OrderRow]:
    rows = await connection.fetch(
        "SELECT id::text AS id, status, reason, created_at, updated_at FROM orders"
    )
    return [
        OrderRow(row["id"], row["status"], row["reason"], row["created_at"], row["updated_at"])
        for row in rows
    ]


async def read_outbox(connection: asyncpg.Connection) -> list[datetime]:
    rows = await connection.fetch("SELECT created_at FROM outbox WHERE published_at IS NULL")
    return [row["created_at"] for row in rows]


def _scan(dynamodb: Any, table: str) -> AsyncIterator[dict[str, Any]]:
    return scan_items(dynamodb, {"TableName": table, "ConsistentRead": True})


async def read_products(dynamodb: Any) -> tuple[dict[str, int], list[ReservationRow]]:
    stock: dict[str, int] = {}
    reservations: list[ReservationRow] = []
    async for item in _scan(dynamodb, physical("products")):
        key = text_of(item, "pk", "")
        if key.startswith("PRODUCT#") and "N" in item.get("stock", {}):
            stock[key.removeprefix("PRODUCT#")] = int(item["stock"]["N"])
        elif key.startswith("RESERVATION#"):
            reservations.append(_reservation(item))
    return stock, reservations


def _reservation(item: dict[str, Any]) -> ReservationRow:
    lines = tuple(
        (line["M"]["product_id"]["S"], int(line["M"]["quantity"]["N"]))
        for line in item.get("lines", {}).get("L", [])
    )
    created = text_of(item, "created_at")
    # The key names the order too: an item missing attributes is reported, not a crash.
    order_id = text_of(item, "order_id") or item["pk"]["S"].removeprefix("RESERVATION#")
    return ReservationRow(
        order_id=order_id,
        status=text_of(item, "status", "?"),
        lines=lines,
        created_at=datetime.fromisoformat(created) if created else None,
    )


async def read_payments(dynamodb: Any) -> list[PaymentRow]:
    payments: list[PaymentRow] = []
    async for item in _scan(dynamodb, physical("payments")):
        if not text_of(item, "pk", "").startswith("PAYMENT#"):
            continue
        approved = item.get("approved", {}).get("BOOL")
        payments.append(
            PaymentRow(
                order_id=text_of(item, "order_id") or item["pk"]["S"].removeprefix("PAYMENT#"),
                status=text_of(item, "status", "?"),
                approved=approved if isinstance(approved, bool) else None,
                refund_status=text_of(item, "refund_status"),
            )
        )
    return payments


async def read_dead_letters(sqs: Any, per_queue: int) -> list[DeadLetterRow]:
    letters: list[DeadLetterRow] = []
    for queue in RESOURCES.queues:
        pair = await resolve_pair(sqs, queue)
        if (await queue_depth(sqs, pair.dlq_url)).total == 0:
            continue
        for letter in await peek(sqs, pair.dlq_url, limit=per_queue):
            written = letter.attributes.get("failure_reason") or None
            letters.append(DeadLetterRow(queue.name, letter.message_id, written))
    return letters


async def read_gateway(base_url: str, api_key: str) -> list[GatewayCharge]:
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30), headers={"Authorization": f"Bearer {api_key}"}
    ) as session:
        intents = [item async for item in _listing(session, f"{base_url}/v1/payment_intents")]
        refunds = [item async for item in _listing(session, f"{base_url}/v1/refunds")]
    order_of: dict[str, str] = {}
    captured = Counter[str]()
    for intent in intents:
        metadata = intent.get("metadata") or {}
        order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
        if isinstance(order_id, str) and intent.get("status") == "succeeded":
            order_of[str(intent.get("id"))] = order_id
            captured[order_id] += 1
    refunded = Counter[str]()
    for refund in refunds:
        order_id = order_of.get(str(refund.get("payment_intent")))
        if order_id is not None and refund.get("status") == "succeeded":
            refunded[order_id] += 1
    return [GatewayCharge(order, count, refunded[order]) for order, count in captured.items()]


async def _listing(session: aiohttp.ClientSession, url: str) -> AsyncIterator[dict[str, Any]]:
    after: str | None = None
    while True:
        params = {"limit": str(PAGE), **({"starting_after": after} if after else {})}
        page = await _get_page(session, url, params)
        data: list[dict[str, Any]] = page.get("data", [])
        for item in data:
            yield item
        if not page.get("has_more") or not data:
            return
        after = str(data[-1]["id"])


async def _get_page(
    session: aiohttp.ClientSession, url: str, params: dict[str, str]
) -> dict[str, Any]:
    """One listing page; a 429 or 5xx (the processor's own transient errors) is asked again."""
    for attempt in range(GATEWAY_ATTEMPTS):
        async with session.get(url, params=params) as response:
            transient = response.status == 429 or response.status >= 500
            if transient and attempt + 1 < GATEWAY_ATTEMPTS:
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            response.raise_for_status()
            page: dict[str, Any] = await response.json()
            return page
    raise AssertionError("unreachable")
