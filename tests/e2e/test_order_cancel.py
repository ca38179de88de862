"""Cancelling over HTTP: stock back, a captured payment refunded once at the gateway."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack
from shoppers import Customer, new_customer, stock_of, wait_for_stock

pytestmark = pytest.mark.e2e

Headers = dict[str, str]


async def gateway_refunds(
    session: aiohttp.ClientSession, gateway: str, headers: Headers
) -> list[dict[str, Any]]:
    async with session.get(f"{gateway}/v1/refunds?limit=100", headers=headers) as response:
        assert response.status == 200
        return list((await response.json())["data"])


async def intent_of(
    session: aiohttp.ClientSession, gateway: str, headers: Headers, order_id: str
) -> dict[str, Any]:
    async with session.get(f"{gateway}/v1/payment_intents?limit=100", headers=headers) as response:
        intents = (await response.json())["data"]
    [intent] = [pi for pi in intents if pi["metadata"].get("order_id") == order_id]
    return dict(intent)


async def cancel(customer: Customer, order_id: str) -> tuple[int, dict[str, Any]]:
    async with customer.session.post(
        f"{customer.edge}/orders/{order_id}/cancel", headers=customer.auth
    ) as response:
        return response.status, await response.json(content_type=None)


async def test_cancelling_a_confirmed_order_refunds_once_and_restocks(
    stack: RunningStack, session: aiohttp.ClientSession, gateway_headers: Headers
) -> None:
    gateway = stack.read()["endpoints"]["gateway"]
    customer = await new_customer(session, stack.edge)
    stranger = await new_customer(session, stack.edge)
    before = await stock_of(session, stack.edge, "p-014")
    _, _, order = await customer.place([{"product_id": "p-014", "quantity": 2}], "tok_visa")
    assert (await customer.settled(order["id"]))["status"] == "CONFIRMED"
    assert await stock_of(session, stack.edge, "p-014") == before - 2

    status, _ = await cancel(stranger, order["id"])
    assert status == 404

    status, cancelled = await cancel(customer, order["id"])
    assert status == 200
    assert (cancelled["status"], cancelled["reason"]) == ("CANCELLED", "customer_cancelled")
    again_status, again = await cancel(customer, order["id"])
    assert again_status == 200 and again["history"] == cancelled["history"]

    assert await wait_for_stock(session, stack.edge, "p-014", before) == before
    intent = await intent_of(session, gateway, gateway_headers, order["id"])
    for _ in range(100):
        refunds = [
            r
            for r in await gateway_refunds(session, gateway, gateway_headers)
            if r["payment_intent"] == intent["id"]
        ]
        if refunds:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    refunds = [
        r
        for r in await gateway_refunds(session, gateway, gateway_headers)
        if r["payment_intent"] == intent["id"]
    ]
    assert len(refunds) == 1
    assert refunds[0]["amount"] == intent["amount"] == order["total"]["amount"]


async def test_a_cancel_racing_the_saga_ends_in_one_consistent_outcome(
    stack: RunningStack, session: aiohttp.ClientSession, gateway_headers: Headers
) -> None:
    gateway = stack.read()["endpoints"]["gateway"]
    customer = await new_customer(session, stack.edge)
    before = await stock_of(session, stack.edge, "p-015")
    orders = [
        (await customer.place([{"product_id": "p-015", "quantity": 1}], "tok_visa"))[2]
        for _ in range(5)
    ]
    results = await asyncio.gather(*(cancel(customer, o["id"]) for o in orders))
    assert all(status == 200 for status, _ in results)
    for o in orders:
        final = await customer.settled(o["id"])
        assert final["status"] == "CANCELLED"
    # Every unit comes back, and no order keeps money: any charge made is refunded.
    assert await wait_for_stock(session, stack.edge, "p-015", before) == before
    ids = {o["id"] for o in orders}
    charged: set[str] = set()
    refunded: set[str] = set()
    for _ in range(100):  # refunds wait for charges still in flight: bounded, 20 s
        async with session.get(
            f"{gateway}/v1/payment_intents?limit=100", headers=gateway_headers
        ) as response:
            intents = (await response.json())["data"]
        charged = {
            pi["id"]
            for pi in intents
            if pi["metadata"].get("order_id") in ids and pi["status"] == "succeeded"
        }
        refunded = {
            r["payment_intent"] for r in await gateway_refunds(session, gateway, gateway_headers)
        }
        if charged <= refunded:
            break
        await asyncio.sleep(0.2)
    assert charged <= refunded
