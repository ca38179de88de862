"""The gateway simulator against Stripe's own Python SDK: where the two disagree, the
simulator is wrong. Then our gateway client's requests are checked against what the SDK sends
for the same calls.

The SDK (PyPI `stripe`, a test-only dependency) talks to the simulator with its aiohttp
client and `*_async` methods, in the test's loop, without retries of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import stripe
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler

from ecommerce.gateway_sim import SimConfig, create_app
from ecommerce.gateway_sim.config import WebhookDelivery
from ecommerce.payments.credentials import FixedApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.webhook_signature import verify

KEY = "sk_test_contract"


@dataclass
class Recorded:
    """The form of every POST the simulator received, by path."""

    forms: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and request.path.startswith("/v1/"):
            form = await request.post()
            self.forms.setdefault(request.path, []).append({k: str(v) for k, v in form.items()})
        return await handler(request)


@dataclass
class Simulator:
    server: TestServer
    recorded: Recorded
    sdk: stripe.StripeClient

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    recorded = Recorded()
    app = create_app(SimConfig(webhooks=WebhookDelivery(base_seconds=0.01, attempts=3)))
    app.middlewares.insert(0, recorded.middleware)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = stripe.AIOHTTPClient()
    sdk = stripe.StripeClient(
        KEY,
        base_addresses={"api": str(server.make_url("")).rstrip("/")},
        http_client=http,
        max_network_retries=0,
    )
    yield Simulator(server, recorded, sdk)
    await http.close_async()  # type: ignore[no-untyped-call]
    await server.close()


async def pay(sdk: stripe.StripeClient, card: str) -> stripe.PaymentIntent:
    return await sdk.v1.payment_intents.create_async(
        params={
            "amount": 2500,
            "currency": "usd",
            "payment_method": card,
            "confirm": True,
            "metadata": {"order_id": "order-sdk"},
        }
    )


async def test_create_and_confirm_a_payment_intent(sim: Simulator) -> None:
    intent = await pay(sim.sdk, "pm_card_visa")
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 2500, 2500)
    assert intent.metadata["order_id"] == "order-sdk"
    assert intent.latest_charge is not None and str(intent.latest_charge).startswith("ch_")
    again = await sim.sdk.v1.payment_intents.retrieve_async(intent.id)
    assert again.status == "succeeded"


async def test_an_intent_created_without_confirm_waits_for_confirmation(
    sim: Simulator,
) -> None:
    intent = await sim.sdk.v1.payment_intents.create_async(
        params={"amount": 100, "currency": "eur", "payment_method": "pm_card_visa"}
    )
    assert intent.status == "requires_confirmation"


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("tok_chargeDeclined", "generic_decline"),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ],
)
async def test_a_decline_is_the_sdks_card_error_with_its_decline_code(
    sim: Simulator, card: str, decline_code: str
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        await pay(sim.sdk, card)
    error = caught.value
    assert (error.code, error.http_status) == ("card_declined", 402)
    assert error.error is not None and error.error.decline_code == decline_code
    assert error.error.payment_intent is not None
    assert error.error.payment_intent.status == "requires_payment_method"


async def test_an_idempotent_replay_gives_the_same_intent(sim: Simulator) -> None:
    options: Any = {"idempotency_key": "order-sdk-charge"}

    async def create(amount: int) -> stripe.PaymentIntent:
        return await sim.sdk.v1.payment_intents.create_async(
            params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa"},
            options=options,
        )

    first = await create(900)
    replay = await create(900)
    assert replay.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        await create(901)


async def test_refunds_in_parts_then_already_refunded(sim: Simulator) -> None:
    intent = await pay(sim.sdk, "pm_card_visa")
    part = await sim.sdk.v1.refunds.create_async(
        params={"payment_intent": intent.id, "amount": 1000}
    )
    assert (part.amount, part.status, part.payment_intent) == (1000, "succeeded", intent.id)
    rest = await sim.sdk.v1.refunds.create_async(params={"payment_intent": intent.id})
    assert rest.amount == 1500
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await sim.sdk.v1.refunds.create_async(params={"payment_intent": intent.id})
    assert caught.value.code == "charge_already_refunded"
    listed = await sim.sdk.v1.refunds.list_async(params={"payment_intent": intent.id})
    assert sorted(r.amount for r in listed.data) == [1000, 1500]


async def test_list_pagination_with_the_sdks_auto_paging(sim: Simulator) -> None:
    made = [(await pay(sim.sdk, "pm_card_visa")).id for _ in range(5)]
    page = await sim.sdk.v1.payment_intents.list_async(params={"limit": 2})
    assert len(page.data) == 2 and page.has_more
    seen = [intent.id async for intent in page.auto_paging_iter()]
    assert seen == list(reversed(made))  # newest first, each once


async def test_authentication_required_then_cancelled(sim: Simulator) -> None:
    intent = await pay(sim.sdk, "pm_card_authenticationRequired")
    assert intent.status == "requires_action"
    assert intent.next_action is not None and intent.next_action.type == "redirect_to_url"
    assert intent.client_secret is not None
    cancelled = await sim.sdk.v1.payment_intents.cancel_async(
        intent.id, params={"cancellation_reason": "abandoned"}
    )
    assert (cancelled.status, cancelled.cancellation_reason) == ("canceled", "abandoned")


async def test_webhooks_verify_with_the_sdks_construct_event(sim: Simulator) -> None:
    received: list[tuple[bytes, str]] = []
    arrived = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers["Stripe-Signature"]))
        arrived.set()
        return web.json_response({"received": True})

    receiver_app = web.Application()
    receiver_app.router.add_post("/hook", hook)
    receiver = TestServer(receiver_app, host="127.0.0.1")
    await receiver.start_server()
    try:
        endpoint = await sim.sdk.v1.webhook_endpoints.create_async(
            params={
                "url": str(receiver.make_url("/hook")),
                "enabled_events": ["payment_intent.succeeded"],
            }
        )
        assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
        intent = await pay(sim.sdk, "pm_card_visa")
        async with asyncio.timeout(10):
            await arrived.wait()
    finally:
        await receiver.close()
    [(body, header)] = received
    event = stripe.Webhook.construct_event(body, header, endpoint.secret)
    assert event.type == "payment_intent.succeeded"
    assert event.data.object["id"] == intent.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, "whsec_someone_else")
    # Our verifier agrees with the SDK both ways: on the simulator's header, and on one the
    # SDK makes.
    verify(body, header, [endpoint.secret], now=time.time())
    sdk_header = stripe.WebhookSignature.generate_signature_header(body.decode(), endpoint.secret)
    verify(body, sdk_header, [endpoint.secret], now=time.time())


async def test_our_gateway_client_sends_what_the_sdk_sends(sim: Simulator) -> None:
    await pay(sim.sdk, "pm_card_visa")
    intent = await pay(sim.sdk, "pm_card_visa")
    await sim.sdk.v1.refunds.create_async(params={"payment_intent": intent.id, "amount": 10})
    waiting = await pay(sim.sdk, "pm_card_authenticationRequired")
    await sim.sdk.v1.payment_intents.cancel_async(
        waiting.id, params={"cancellation_reason": "abandoned"}
    )
    sdk_forms = {path: forms[0] for path, forms in sim.recorded.forms.items()}
    sim.recorded.forms.clear()

    async with aiohttp.ClientSession() as session:
        ours = GatewayClient(session, sim.url, FixedApiKey(KEY))
        paid = await ours.charge(
            order_id="order-sdk",
            amount=2500,
            currency="usd",
            payment_method="pm_card_visa",
            idempotency_key="k1",
        )
        assert paid.payment_intent_id is not None
        await ours.refund(payment_intent_id=paid.payment_intent_id, idempotency_key="k2", amount=10)
        held = await ours.charge(
            order_id="order-sdk",
            amount=2500,
            currency="usd",
            payment_method="pm_card_authenticationRequired",
            idempotency_key="k3",
        )
        assert held.payment_intent_id is not None
        await ours.cancel_intent(payment_intent_id=held.payment_intent_id, idempotency_key="k4")
    our_forms = {path: forms[0] for path, forms in sim.recorded.forms.items()}

    def shape(path: str, forms: dict[str, dict[str, str]]) -> dict[str, str]:
        # Parameter names and value formats; ids differ from call to call.
        return {k: v for k, v in forms[path].items() if k != "payment_intent"}

    assert shape("/v1/payment_intents", our_forms) == shape("/v1/payment_intents", sdk_forms)
    assert shape("/v1/refunds", our_forms) == shape("/v1/refunds", sdk_forms)
    cancel_ours = next(p for p in our_forms if p.endswith("/cancel"))
    cancel_sdk = next(p for p in sdk_forms if p.endswith("/cancel"))
    assert our_forms[cancel_ours] == sdk_forms[cancel_sdk]
