"""A rolling restart under load: every deployable, one by one, SIGTERM then start again (as a
Kubernetes rollout does), while customers place and read orders through the edge.

No client request may fail: a frontend stops accepting and finishes what it holds before it
exits, and the edge holds a request for a service that refuses connections (restarting) until
it answers. No order may be lost: every order placed settles CONFIRMED once the restarts end.
Named to run after the other end-to-end tests, as it restarts every process of the stack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import urllib.error
import uuid
from collections import Counter
from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack, http_get
from shoppers import Customer, new_customer

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

HANDLERS = ("users", "catalog", "cart", "orders")
WORKERS = ("inventory-worker", "orders-worker", "payments-worker", "images-worker", "outbox-relay")
CUSTOMERS = 4
BACK_WITHIN = 60.0


async def admin_product(session: aiohttp.ClientSession, edge: str) -> str:
    body = {"email": DEFAULT_ADMIN_EMAIL, "password": DEFAULT_ADMIN_PASSWORD}
    async with session.post(f"{edge}/auth/login", json=body) as response:
        token = (await response.json())["access_token"]
    product = {
        "name": "Rolling Restart Mug",
        "description": "Stock enough for any load.",
        "category": f"rr-{uuid.uuid4().hex[:8]}",
        "price": {"amount": 500, "currency": "USD"},
        "stock": 100_000,
    }
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(f"{edge}/products", json=product, headers=headers) as response:
        assert response.status == 201, await response.text()
        return str((await response.json())["id"])


class Load:
    def __init__(self, customers: list[Customer], product_id: str) -> None:
        self.customers, self.product_id = customers, product_id
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self.placed: list[tuple[Customer, str]] = []
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._shop(customer) for customer in self.customers))

    async def _shop(self, customer: Customer) -> None:
        items = [{"product_id": self.product_id, "quantity": 1}]
        while not self.stopping.is_set():
            await self._request("POST /orders", customer.place(items, "tok_visa"), customer)
            await self._request("GET /users/me", customer.get("/users/me"))
            await self._request("GET /products/{id}", customer.get(f"/products/{self.product_id}"))
            own = [order_id for owner, order_id in self.placed if owner is customer]
            if own:
                await self._request("GET /orders/{id}", customer.get(f"/orders/{own[-1]}"))

    async def _request(self, name: str, call: Any, customer: Customer | None = None) -> None:
        try:
            answer = await call
        except (aiohttp.ClientError, TimeoutError) as error:
            self.failures.append(f"{name}: {type(error).__name__}: {error}")
            return
        status, document = answer[0], answer[-1]
        self.outcomes[f"{name} {status}"] += 1
        if not 200 <= status < 300:
            self.failures.append(f"{name}: {status} {str(document)[:200]}")
        elif customer is not None:
            self.placed.append((customer, document["id"]))


async def restart(stack: RunningStack, name: str) -> float:
    """SIGTERM the process, then wait until its successor runs (and, for a frontend, answers)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    old = stack.pids()[name]
    os.kill(old, signal.SIGTERM)
    while True:
        assert loop.time() - began < BACK_WITHIN, f"{name} did not come back"
        await asyncio.sleep(0.2)
        pid = stack.pids().get(name)
        if pid is None or pid == old:
            continue
        if name not in HANDLERS:
            return loop.time() - began
        url = next(p["url"] for p in stack.read()["processes"] if p["name"] == name)
        try:
            status, _, _ = await asyncio.to_thread(http_get, f"{url}/healthz", 2.0)
        except (urllib.error.URLError, OSError):
            continue
        if status == 200:
            return loop.time() - began


async def test_a_rolling_restart_under_load_fails_no_request_and_loses_no_order(
    stack: RunningStack,
) -> None:
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        product = await admin_product(session, stack.edge)
        customers = [await new_customer(session, stack.edge) for _ in range(CUSTOMERS)]
        load = Load(customers, product)
        running = asyncio.create_task(load.run())
        took: dict[str, float] = {}
        try:
            await asyncio.sleep(2)
            for name in (*HANDLERS, *WORKERS):
                took[name] = await restart(stack, name)
                await asyncio.sleep(1)
        finally:
            load.stopping.set()
            await running
        assert load.failures == [], (load.failures[:20], dict(load.outcomes), took)
        assert len(load.placed) >= 10, dict(load.outcomes)
        for customer, order_id in load.placed:
            assert (await customer.settled(order_id))["status"] == "CONFIRMED"
