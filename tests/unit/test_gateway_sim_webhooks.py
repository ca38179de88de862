"""The simulator's events, webhook endpoints, signed deliveries with retries, and 3-D Secure."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.gateway_sim import SimConfig, create_app
from ecommerce.gateway_sim.config import WebhookDelivery
from ecommerce.payments.webhook_signature import verify

Client = TestClient[web.Request, web.Application]
AUTH = {"Authorization": "Bearer sk_test_hooks"}
FAST = SimConfig(webhooks=WebhookDelivery(base_seconds=0.01, max_seconds=0.05, attempts=5))


class Receiver:
    """A webhook endpoint that fails its first `failures` deliveries."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[bytes, str | None]] = []
        self.attempts = 0
        self.arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.server = TestServer(app)

    async def hook(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        self.received.append((await request.read(), request.headers.get("Stripe-Signature")))
        self.arrived.set()
        return web.json_response({"received": True})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.received]

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def gateway() -> AsyncIterator[Client]:
    client: Client = TestClient(TestServer(create_app(FAST)))
    await client.start_server()
    yield client
    await client.close()


async def endpoint(gateway: Client, receiver: Receiver, *events: str) -> dict[str, Any]:
    await receiver.server.start_server()
    form = [("url", str(receiver.server.make_url("/hook")))]
    form += [(f"enabled_events[{i}]", name) for i, name in enumerate(events or ("*",))]
    response = await gateway.post("/v1/webhook_endpoints", data=form, headers=AUTH)
    assert response.status == 200, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def pay(gateway: Client, card: str, order_id: str = "o-1") -> dict[str, Any]:
    form = {
        "amount": "1500",
        "currency": "eur",
        "payment_method": card,
        "confirm": "true",
        "metadata[order_id]": order_id,
    }
    response = await gateway.post("/v1/payment_intents", data=form, headers=AUTH)
    intent: dict[str, Any] = await response.json()
    return intent


async def test_an_endpoint_gets_each_event_signed_with_its_own_secret(gateway: Client) -> None:
    receiver = Receiver()
    try:
        created = await endpoint(gateway, receiver, "payment_intent.succeeded")
        assert created["secret"].startswith("whsec_")
        intent = await pay(gateway, "tok_visa")
        await pay(gateway, "tok_chargeDeclined")  # payment_failed: not subscribed
        await receiver.wait_for(1)
        await asyncio.sleep(0.1)
        [(body, header)] = receiver.received
        verify(body, header, [created["secret"]], now=time.time())
        event = json.loads(body)
        assert event["object"] == "event" and event["type"] == "payment_intent.succeeded"
        assert event["data"]["object"]["id"] == intent["id"]
        listed = await (await gateway.get("/v1/webhook_endpoints", headers=AUTH)).json()
        assert "secret" not in listed["data"][0]
    finally:
        await receiver.server.close()


async def test_a_failing_endpoint_gets_the_event_again_until_it_answers_2xx(
    gateway: Client,
) -> None:
    receiver = Receiver(failures=2)
    try:
        await endpoint(gateway, receiver)
        await pay(gateway, "tok_visa")
        await receiver.wait_for(1)
        assert receiver.attempts == 3
        assert [e["type"] for e in receiver.events()] == ["payment_intent.succeeded"]
    finally:
        await receiver.server.close()


async def test_authentication_required_then_completed(gateway: Client) -> None:
    receiver = Receiver()
    try:
        await endpoint(gateway, receiver)
        intent = await pay(gateway, "tok_threeDSecure2Required")
        assert intent["status"] == "requires_action"
        assert intent["client_secret"].startswith(intent["id"] + "_secret_")
        url = intent["next_action"]["redirect_to_url"]["url"]
        assert url.endswith(f"/test/authenticate/{intent['id']}")
        page = await gateway.get(f"/test/authenticate/{intent['id']}")  # no API key
        assert page.status == 200 and "Complete authentication" in await page.text()
        done = await gateway.post(f"/test/authenticate/{intent['id']}", data={"outcome": "succeed"})
        assert (await done.json())["status"] == "succeeded"
        again = await gateway.post(f"/test/authenticate/{intent['id']}", data={"outcome": "fail"})
        assert again.status == 400
        await receiver.wait_for(2)
        assert sorted(e["type"] for e in receiver.events()) == [
            "payment_intent.requires_action",
            "payment_intent.succeeded",
        ]
    finally:
        await receiver.server.close()


async def test_authentication_failed_leaves_the_intent_unpaid(gateway: Client) -> None:
    intent = await pay(gateway, "pm_card_authenticationRequired")
    failed = await gateway.post(f"/test/authenticate/{intent['id']}", data={"outcome": "fail"})
    body = await failed.json()
    assert body["status"] == "requires_payment_method"
    assert body["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    events = await (
        await gateway.get("/v1/events?type=payment_intent.payment_failed", headers=AUTH)
    ).json()
    assert [e["data"]["object"]["id"] for e in events["data"]] == [intent["id"]]


async def test_an_intent_waiting_for_the_customer_can_be_cancelled_a_paid_one_cannot(
    gateway: Client,
) -> None:
    waiting = await pay(gateway, "tok_threeDSecure2Required")
    cancelled = await gateway.post(
        f"/v1/payment_intents/{waiting['id']}/cancel",
        data={"cancellation_reason": "abandoned"},
        headers=AUTH,
    )
    body = await cancelled.json()
    assert (body["status"], body["cancellation_reason"]) == ("canceled", "abandoned")
    paid = await pay(gateway, "tok_visa")
    refused = await gateway.post(f"/v1/payment_intents/{paid['id']}/cancel", headers=AUTH)
    assert refused.status == 400
    assert (await refused.json())["error"]["code"] == "payment_intent_unexpected_state"


async def test_a_refund_and_a_dispute_are_events_of_the_charge(gateway: Client) -> None:
    paid = await pay(gateway, "tok_visa")
    await gateway.post("/v1/refunds", data={"payment_intent": paid["id"]}, headers=AUTH)
    disputed = await pay(gateway, "pm_card_createDispute")
    events = (await (await gateway.get("/v1/events?limit=100", headers=AUTH)).json())["data"]
    by_type = {e["type"]: e["data"]["object"] for e in events}
    refunded = by_type["charge.refunded"]
    assert refunded["payment_intent"] == paid["id"] and refunded["refunded"] is True
    assert refunded["refunds"]["data"][0]["amount"] == 1500
    dispute = by_type["charge.dispute.created"]
    assert dispute["payment_intent"] == disputed["id"]
    listed = (await (await gateway.get("/v1/disputes", headers=AUTH)).json())["data"]
    assert [d["id"] for d in listed] == [dispute["id"]]


async def test_an_endpoint_needs_a_url_and_known_events(gateway: Client) -> None:
    bad = await gateway.post(
        "/v1/webhook_endpoints",
        data={"url": "http://x/hook", "enabled_events[0]": "no.such"},
        headers=AUTH,
    )
    assert bad.status == 400
    missing = await gateway.post("/v1/webhook_endpoints", data={"url": "http://x"}, headers=AUTH)
    assert (await missing.json())["error"]["code"] == "parameter_missing"
