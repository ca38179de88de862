"""A registered customer driving the public API through the edge, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, TypeVar

import aiohttp

from ecommerce.resources import RESOURCES

# Normally a second. Bounded above the longest visibility timeout of a saga queue (payments,
# 60 s): a worker killed by another test may have left a long poll open that takes one message
# to its grave, and SQS redelivers it only when that timeout runs out.
SETTLE_WITHIN = max(q.visibility_timeout for q in RESOURCES.queues if q.event_types) + 15.0
PASSWORD = "a-long-enough-password-1"


class Customer:
    def __init__(self, session: aiohttp.ClientSession, edge: str, token: str) -> None:
        self.session, self.edge, self.token = session, edge, token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(
        self, method: str, path: str, body: Any = None
    ) -> tuple[int, str, dict[str, str], Any]:
        """(status, content type, headers, JSON body or None) of one request."""
        async with self.session.request(
            method, f"{self.edge}{path}", json=body, headers=self.auth
        ) as response:
            document = await response.json(content_type=None) if response.status != 204 else None
            return response.status, response.content_type, dict(response.headers), document

    async def place(
        self, items: list[dict[str, Any]], token: str, key: str | None = None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        headers = {**self.auth, "Idempotency-Key": key or str(uuid.uuid4())}
        body = {"items": items, "payment_token": token}
        async with self.session.post(f"{self.edge}/orders", json=body, headers=headers) as r:
            return r.status, dict(r.headers), await r.json(content_type=None)

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        status, _, _, document = await self.call("GET", path)
        return status, document

    async def settled(self, order_id: str) -> dict[str, Any]:
        """The order once CONFIRMED or CANCELLED (bounded wait)."""
        deadline = asyncio.get_running_loop().time() + SETTLE_WITHIN
        while True:
            status, order = await self.get(f"/orders/{order_id}")
            assert status == 200, order
            if order["status"] in ("CONFIRMED", "CANCELLED"):
                return order
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"order still {order['status']} after {SETTLE_WITHIN}s")
            await asyncio.sleep(0.2)


Kind = TypeVar("Kind", bound=Customer)


async def register(
    session: aiohttp.ClientSession, edge: str, kind: type[Kind], prefix: str = "shopper"
) -> Kind:
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
    async with session.post(
        f"{edge}/auth/register", json={"email": email, "password": PASSWORD, "name": "Shopper"}
    ) as response:
        assert response.status == 201, await response.text()
    async with session.post(
        f"{edge}/auth/login", json={"email": email, "password": PASSWORD}
    ) as response:
        assert response.status == 200, await response.text()
        token = (await response.json())["access_token"]
    return kind(session, edge, token)


async def new_customer(session: aiohttp.ClientSession, edge: str) -> Customer:
    return await register(session, edge, Customer)


async def stock_of(session: aiohttp.ClientSession, edge: str, product_id: str) -> int:
    async with session.get(f"{edge}/products/{product_id}") as response:
        assert response.status == 200
        return int((await response.json())["stock"])


async def wait_for_stock(
    session: aiohttp.ClientSession, edge: str, product_id: str, expected: int
) -> int:
    """The product's stock once it equals `expected`, or as it is after SETTLE_WITHIN."""
    for _ in range(int(SETTLE_WITHIN / 0.2)):
        stock = await stock_of(session, edge, product_id)
        if stock == expected:
            return stock
        await asyncio.sleep(0.2)
    return await stock_of(session, edge, product_id)


GATEWAY_UNAUTHORIZED = {"message": "Unauthorized"}
"""What API Gateway's JWT authorizer (and the local edge, which mirrors it) answers a request
without a valid token on an authenticated route: its own JSON, not a problem document."""


def is_gateway_unauthorized(status: int, content_type: str, document: Any) -> bool:
    return (status, content_type, document) == (401, "application/json", GATEWAY_UNAUTHORIZED)
