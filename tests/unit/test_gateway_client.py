"""The payments worker's gateway client against the real simulator app over HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from ecommerce.gateway_sim import Latency, SimConfig, create_app
from ecommerce.payments.credentials import FixedApiKey
from ecommerce.payments.gateway_client import (
    ChargeResult,
    GatewayClient,
    GatewayRejected,
    GatewayUnavailable,
)

MakeClient = Callable[..., Awaitable[GatewayClient]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def make_client(session: aiohttp.ClientSession) -> AsyncIterator[MakeClient]:
    servers: list[TestServer] = []

    async def make(
        config: SimConfig | None = None,
        *,
        api_key: str = "sk_test_unit",
        timeout_seconds: float = 5.0,
    ) -> GatewayClient:
        server = TestServer(create_app(config))
        await server.start_server()
        servers.append(server)
        # A trailing slash on the base URL is fine.
        return GatewayClient(
            session,
            str(server.make_url("/")),
            FixedApiKey(api_key),
            timeout_seconds=timeout_seconds,
        )

    yield make
    for server in servers:
        await server.close()


@pytest.fixture
async def gateway(make_client: MakeClient) -> GatewayClient:
    return await make_client()


async def charge(
    gateway: GatewayClient,
    payment_method: str = "tok_visa",
    *,
    key: str = "charge-order-1",
    amount: int = 1999,
) -> ChargeResult:
    return await gateway.charge(
        order_id="order-1",
        amount=amount,
        currency="USD",
        payment_method=payment_method,
        idempotency_key=key,
    )


async def test_visa_is_approved(gateway: GatewayClient) -> None:
    result = await charge(gateway, "tok_visa")
    assert result.approved is True
    assert result.payment_intent_id is not None and result.payment_intent_id.startswith("pi_")
    assert result.decline_code is None


@pytest.mark.parametrize(
    ("token", "decline_code"),
    [("tok_chargeDeclined", "generic_decline"), ("tok_insufficientFunds", "insufficient_funds")],
)
async def test_declines_are_results_with_their_code(
    gateway: GatewayClient, token: str, decline_code: str
) -> None:
    result = await charge(gateway, token)
    assert result.approved is False
    assert result.decline_code == decline_code
    assert result.payment_intent_id is not None and result.payment_intent_id.startswith("pi_")


async def test_a_retry_with_the_same_key_returns_the_same_intent(gateway: GatewayClient) -> None:
    first = await charge(gateway, key="order-42")
    again = await charge(gateway, key="order-42")
    assert again == first
    other = await charge(gateway, key="order-43")
    assert other.payment_intent_id != first.payment_intent_id
    declined = await charge(gateway, "tok_chargeDeclined", key="order-44")
    assert await charge(gateway, "tok_chargeDeclined", key="order-44") == declined


async def test_a_key_reused_with_other_parameters_is_rejected(gateway: GatewayClient) -> None:
    await charge(gateway, key="order-7", amount=100)
    with pytest.raises(GatewayRejected) as caught:
        await charge(gateway, key="order-7", amount=200)
    assert (caught.value.status, caught.value.error_type) == (400, "idempotency_error")


async def test_an_unknown_token_is_rejected_not_retried(gateway: GatewayClient) -> None:
    with pytest.raises(GatewayRejected) as caught:
        await charge(gateway, "tok_bogus")
    assert (caught.value.status, caught.value.code) == (400, "resource_missing")
    assert caught.value.request_id is not None


async def test_injected_errors_raise_unavailable(make_client: MakeClient) -> None:
    gateway = await make_client(SimConfig(error_rate=1.0))
    with pytest.raises(GatewayUnavailable, match=r"HTTP 50[03]"):
        await charge(gateway)
    with pytest.raises(GatewayUnavailable):
        await gateway.refund(payment_intent_id="pi_x", idempotency_key="refund-x")


async def test_a_key_in_flight_raises_unavailable(make_client: MakeClient) -> None:
    gateway = await make_client(SimConfig(latency=Latency(200, 200)))
    outcomes = await asyncio.gather(
        charge(gateway, key="order-race"), charge(gateway, key="order-race"), return_exceptions=True
    )
    assert sum(isinstance(o, ChargeResult) and o.approved for o in outcomes) == 1
    assert sum(isinstance(o, GatewayUnavailable) for o in outcomes) == 1


async def test_a_slow_gateway_times_out_as_unavailable(make_client: MakeClient) -> None:
    gateway = await make_client(SimConfig(latency=Latency(500, 500)), timeout_seconds=0.05)
    with pytest.raises(GatewayUnavailable, match="Timeout"):
        await charge(gateway)


async def test_a_gateway_that_is_down_is_unavailable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = GatewayClient(
        session, f"http://127.0.0.1:{port}", FixedApiKey("sk_test_unit"), timeout_seconds=2
    )
    with pytest.raises(GatewayUnavailable):
        await charge(gateway)


async def test_refunds(gateway: GatewayClient) -> None:
    charged = await charge(gateway, amount=1000)
    assert charged.payment_intent_id is not None
    intent_id = charged.payment_intent_id

    part = await gateway.refund(payment_intent_id=intent_id, idempotency_key="r-1", amount=400)
    assert (part.amount, part.status) == (400, "succeeded")
    assert part.refund_id.startswith("re_")
    replay = await gateway.refund(payment_intent_id=intent_id, idempotency_key="r-1", amount=400)
    assert replay == part

    rest = await gateway.refund(payment_intent_id=intent_id, idempotency_key="r-2")
    assert rest.amount == 600

    with pytest.raises(GatewayRejected) as caught:
        await gateway.refund(payment_intent_id=intent_id, idempotency_key="r-3")
    assert caught.value.code == "charge_already_refunded"


class CountingKey(FixedApiKey):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.invalidated = 0

    def invalidate(self) -> None:
        self.invalidated += 1


async def test_a_refused_key_is_read_again_and_the_call_retried_later(
    session: aiohttp.ClientSession, make_client: MakeClient
) -> None:
    # The simulator is a test-mode account: a live key is refused with a 401, as a rolled key.
    base = (await make_client()).base_url
    key = CountingKey("sk_live_rolled_away")
    gateway = GatewayClient(session, base, key)
    with pytest.raises(GatewayUnavailable, match="401"):
        await charge(gateway)
    assert key.invalidated == 1


async def test_a_card_that_needs_authentication_is_neither_approved_nor_declined(
    gateway: GatewayClient,
) -> None:
    result = await charge(gateway, "tok_threeDSecure2Required")
    assert (result.approved, result.action_required, result.decline_code) == (False, True, None)
    assert result.payment_intent_id is not None and result.client_secret
    assert result.next_action is not None and result.next_action["type"] == "redirect_to_url"
    status = await gateway.cancel_intent(
        payment_intent_id=result.payment_intent_id, idempotency_key="cancel-1"
    )
    assert status == "canceled"
    paid = await charge(gateway, "tok_visa", key="charge-order-2")
    assert paid.payment_intent_id is not None
    with pytest.raises(GatewayRejected) as refused:
        await gateway.cancel_intent(payment_intent_id=paid.payment_intent_id, idempotency_key="c2")
    assert refused.value.code == "payment_intent_unexpected_state"


async def test_list_all_follows_the_pages(gateway: GatewayClient) -> None:
    for n in range(3):
        await charge(gateway, key=f"charge-order-{n}")
    listed = await gateway.list_all("payment_intents", page_size=2)
    assert len({intent["id"] for intent in listed}) == 3
