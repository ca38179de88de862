"""The processor's webhooks through the edge: only verified events get in."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack
from gateway_account import read_stack_secret
from shoppers import SETTLE_WITHIN, Customer, new_customer, stock_of, wait_for_stock

from ecommerce.payments.webhook_signature import sign

pytestmark = pytest.mark.e2e


def forged_event(order_id: str) -> bytes:
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_forged", "metadata": {"order_id": order_id}}},
    }
    return json.dumps(event).encode()


@pytest.mark.parametrize("header", [None, "t=0,v1=deadbeef", "forger's secret"])
async def test_a_forged_webhook_is_refused_at_the_edge(
    stack: RunningStack, session: aiohttp.ClientSession, header: str | None
) -> None:
    body = forged_event(str(uuid.uuid4()))
    headers = {"Content-Type": "application/json"}
    if header == "forger's secret":
        header = sign(body, ["whsec_forger"], int(time.time()))
    if header is not None:
        headers["Stripe-Signature"] = header
    async with session.post(
        f"{stack.edge}/webhooks/payments", data=body, headers=headers
    ) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        assert (await response.json())["title"] == "Invalid signature"


# --- customer authentication (3-D Secure) ----------------------------------------------------

THREE_DS = "tok_threeDSecure2Required"


async def status_becomes(customer: Customer, order_id: str, wanted: str) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + SETTLE_WITHIN
    while True:
        status, order = await customer.get(f"/orders/{order_id}")
        assert status == 200, order
        if order["status"] == wanted:
            return order
        assert order["status"] in ("PENDING", "RESERVED"), order
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"order still {order['status']}, not {wanted}")
        await asyncio.sleep(0.2)


async def signed_delivery(
    session: aiohttp.ClientSession, stack: RunningStack, secret: str, event: dict[str, Any]
) -> int:
    body = json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": sign(body, [secret], int(time.time())),
    }
    async with session.post(f"{stack.edge}/webhooks/payments", data=body, headers=headers) as r:
        return r.status


async def events_of(
    session: aiohttp.ClientSession, gateway: str, headers: dict[str, str], intent_id: str
) -> list[dict[str, Any]]:
    async with session.get(f"{gateway}/v1/events?limit=100", headers=headers) as response:
        events = (await response.json())["data"]
    return [e for e in events if e["data"]["object"].get("id") == intent_id]


async def test_authentication_then_webhook_confirms_and_late_or_repeated_webhooks_change_nothing(
    stack: RunningStack,
    session: aiohttp.ClientSession,
    gateway_headers: dict[str, str],
    stack_environ: dict[str, str],
) -> None:
    gateway = stack.read()["endpoints"]["gateway"]
    customer = await new_customer(session, stack.edge)
    before = await stock_of(session, stack.edge, "p-016")
    _, _, placed = await customer.place([{"product_id": "p-016", "quantity": 1}], THREE_DS)
    waiting = await status_becomes(customer, placed["id"], "PAYMENT_ACTION_REQUIRED")
    action = waiting["payment_action"]
    assert action["client_secret"].startswith(action["payment_id"] + "_secret_")
    assert action["next_action"]["type"] == "redirect_to_url"
    assert datetime.fromisoformat(action["expires_at"]) > datetime.now(UTC)
    assert await stock_of(session, stack.edge, "p-016") == before - 1

    # The customer passes the challenge on the processor's page; its webhook settles the order.
    url = action["next_action"]["redirect_to_url"]["url"]
    async with session.post(url, data={"outcome": "succeed"}) as response:
        assert response.status == 200
    confirmed = await customer.settled(placed["id"])
    assert confirmed["status"] == "CONFIRMED" and confirmed["payment_action"] is None, (
        confirmed["reason"],
        confirmed["history"],
        action["expires_at"],
    )

    # The processor sends again, and out of order: the success twice, the older
    # requires_action after it, and a failure (a new event) last. Nothing moves backwards.
    secret = await read_stack_secret(stack, stack_environ, "payment-webhook-secrets")
    events = {
        e["type"]: e
        for e in await events_of(session, gateway, gateway_headers, action["payment_id"])
    }
    late_failure = {
        **events["payment_intent.succeeded"],
        "id": f"evt_{uuid.uuid4().hex}",
        "type": "payment_intent.payment_failed",
    }
    for event in (
        events["payment_intent.succeeded"],
        events["payment_intent.succeeded"],
        events["payment_intent.requires_action"],
        late_failure,
    ):
        assert await signed_delivery(session, stack, secret, event) == 200
    await asyncio.sleep(2)  # the worker has them (a cancel would show at once)
    status, order = await customer.get(f"/orders/{placed['id']}")
    assert (status, order["status"]) == (200, "CONFIRMED")
    assert len(order["history"]) == len(confirmed["history"])
    async with session.get(
        f"{gateway}/v1/refunds?limit=100&payment_intent={action['payment_id']}",
        headers=gateway_headers,
    ) as response:
        assert (await response.json())["data"] == []


async def test_an_authentication_that_never_comes_expires_and_gives_the_stock_back(
    stack: RunningStack, session: aiohttp.ClientSession, gateway_headers: dict[str, str]
) -> None:
    gateway = stack.read()["endpoints"]["gateway"]
    customer = await new_customer(session, stack.edge)
    before = await stock_of(session, stack.edge, "p-017")
    _, _, placed = await customer.place([{"product_id": "p-017", "quantity": 2}], THREE_DS)
    waiting = await status_becomes(customer, placed["id"], "PAYMENT_ACTION_REQUIRED")
    intent_id = waiting["payment_action"]["payment_id"]

    # A forged success for it is refused at the door: the order keeps waiting.
    forged = json.loads(forged_event(placed["id"]))
    forged["data"]["object"]["id"] = intent_id
    assert await signed_delivery(session, stack, "whsec_forger", forged) == 400
    _, order = await customer.get(f"/orders/{placed['id']}")
    assert order["status"] == "PAYMENT_ACTION_REQUIRED"

    cancelled = await customer.settled(placed["id"])
    assert (cancelled["status"], cancelled["reason"]) == ("CANCELLED", "payment_expired")
    assert await wait_for_stock(session, stack.edge, "p-017", before) == before
    async with session.get(
        f"{gateway}/v1/payment_intents/{intent_id}", headers=gateway_headers
    ) as r:
        assert (await r.json())["status"] == "canceled"
