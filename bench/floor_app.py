"""The floor of POST /orders: a bare aiohttp + asyncpg endpoint doing the same writes.

It parses the JSON body, prices the lines from a dict, and writes what the orders service
writes for a new order (the order, its first history row, its idempotency key with the stored
response, one outbox row, marked sent so the relay leaves it) in one statement, on a pool that
skips the reset on release. No authentication, validation, logging, tracing or metrics: the most
this machine gives for these writes, to measure the service against.

    python -m bench.floor_app --port 9000 --database-url postgresql://...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

POOL = web.AppKey("pool", asyncpg.Pool)
PRICE = {"amount": 1999, "currency": "USD"}

PLACE = """
WITH claimed AS (
    INSERT INTO idempotency_keys (customer_id, key, fingerprint, order_id, response)
    VALUES ($2, $3, 'floor', $1, $8::jsonb) ON CONFLICT DO NOTHING RETURNING order_id
), placed AS (
    INSERT INTO orders (id, customer_id, status, currency, total_amount, payment_token, items,
                        version, created_at, updated_at)
    SELECT order_id, $2, 'PENDING', 'USD', $4, $5, $6::jsonb, 1, $7, $7 FROM claimed
    RETURNING id
), history AS (
    INSERT INTO order_history (order_id, to_status, cause, at)
    SELECT id, 'PENDING', 'placed', $7 FROM placed
)
INSERT INTO outbox (id, event_type, body, published_at)
SELECT $9, 'OrderPlaced', $8, now() FROM placed
RETURNING id
"""


async def place(request: web.Request) -> web.Response:
    body = json.loads(await request.read())
    items = [{**line, "unit_price": PRICE} for line in body["items"]]
    total = sum(PRICE["amount"] * line["quantity"] for line in body["items"])
    order_id = uuid.uuid4()
    document = json.dumps({"id": str(order_id), "status": "PENDING", "items": items})
    stored = await request.app[POOL].fetchval(
        PLACE,
        order_id,
        "floor-customer",
        request.headers.get("Idempotency-Key", ""),
        total,
        body["payment_token"],
        json.dumps(items),
        datetime.now(UTC),
        document,
        uuid.uuid4(),
    )
    if stored is None:
        return web.json_response({"status": "replayed"}, status=202)
    return web.Response(body=document, status=202, content_type="application/json")


async def _no_reset(_: asyncpg.Connection) -> None:
    return None


def build_app(database_url: str) -> web.Application:
    async def pool(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await asyncpg.create_pool(
            database_url, min_size=10, max_size=10, reset=_no_reset
        )
        yield
        await asyncio.wait_for(app[POOL].close(), timeout=10)

    app = web.Application()
    app.cleanup_ctx.append(pool)
    app.router.add_post("/orders", place)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_app", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    web.run_app(
        build_app(args.database_url), host="127.0.0.1", port=args.port, print=None, access_log=None
    )


if __name__ == "__main__":
    main()
