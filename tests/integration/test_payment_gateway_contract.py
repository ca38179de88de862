"""The contract of `PaymentGateway` for the test cards, held the same by the HTTP client on the
gateway simulator and by the in-memory processor the unit tests use (tests/unit/fakes.py):
each test runs on both."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from fakes import InMemoryGateway

from ecommerce.gateway_sim import create_app
from ecommerce.payments.credentials import FixedApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.gateway_outcomes import ChargeResult, GatewayRejected
from ecommerce.payments.ports import PaymentGateway

pytestmark = pytest.mark.integration


@dataclass
class Subject:
    gateway: PaymentGateway
    authenticate: Callable[[str, bool], Awaitable[None]]
    """The customer passes (True) or fails the 3-D Secure challenge of this intent."""


@pytest.fixture(params=["simulator", "in-memory"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "in-memory":
        fake = InMemoryGateway()

        async def in_fake(intent_id: str, succeed: bool) -> None:
            fake.authenticate(intent_id, succeed=succeed)

        yield Subject(fake, in_fake)
        return
    server = TestServer(create_app())
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        base = str(server.make_url("")).rstrip("/")

        async def at_simulator(intent_id: str, succeed: bool) -> None:
            outcome = "succeed" if succeed else "fail"
            async with session.post(
                f"{base}/test/authenticate/{intent_id}", data={"outcome": outcome}
            ) as response:
                assert response.status == 200

        yield Subject(GatewayClient(session, base, FixedApiKey("sk_test_local")), at_simulator)
    await server.close()


async def charge(
    gateway: PaymentGateway, token: str, order_id: str | None = None, amount: int = 4200
) -> ChargeResult:
    order_id = order_id or str(uuid.uuid4())
    return await gateway.charge(
        order_id=order_id,
        amount=amount,
        currency="usd",
        payment_method=token,
        idempotency_key=f"charge-{order_id}",
    )


async def test_an_approved_card_and_the_same_key_again(subject: Subject) -> None:
    order_id = str(uuid.uuid4())
    first = await charge(subject.gateway, "tok_visa", order_id)
    again = await charge(subject.gateway, "tok_visa", order_id)
    assert first.approved and first.payment_intent_id and first.decline_code is None
    assert not first.action_required
    assert again == first
    intent = await subject.gateway.get_intent(first.payment_intent_id)
    assert intent["status"] == "succeeded"
    with pytest.raises(GatewayRejected) as raised:  # the same key for another amount
        await charge(subject.gateway, "tok_visa", order_id, amount=100)
    assert raised.value.error_type == "idempotency_error"


@pytest.mark.parametrize(
    ("token", "code"),
    [("tok_chargeDeclined", "generic_decline"), ("tok_insufficientFunds", "insufficient_funds")],
)
async def test_a_declined_card_is_a_result_with_its_code(
    subject: Subject, token: str, code: str
) -> None:
    result = await charge(subject.gateway, token)
    assert (result.approved, result.decline_code, result.action_required) == (False, code, False)


async def test_a_card_that_needs_authentication_waits_for_the_customer(subject: Subject) -> None:
    order_id = str(uuid.uuid4())
    waiting = await charge(subject.gateway, "tok_threeDSecure2Required", order_id)
    assert waiting.action_required and not waiting.approved and waiting.decline_code is None
    intent_id = waiting.payment_intent_id
    assert intent_id is not None and waiting.client_secret
    assert waiting.next_action is not None
    assert waiting.next_action["redirect_to_url"]["url"].endswith(intent_id)
    assert await charge(subject.gateway, "tok_threeDSecure2Required", order_id) == waiting
    await subject.authenticate(intent_id, True)
    assert (await subject.gateway.get_intent(intent_id))["status"] == "succeeded"


async def test_a_failed_authentication_leaves_the_intent_unpaid(subject: Subject) -> None:
    waiting = await charge(subject.gateway, "tok_threeDSecure2Required")
    assert waiting.payment_intent_id is not None
    await subject.authenticate(waiting.payment_intent_id, False)
    intent = await subject.gateway.get_intent(waiting.payment_intent_id)
    assert intent["status"] == "requires_payment_method"


async def test_a_refund_once_per_key_and_never_twice(subject: Subject) -> None:
    paid = await charge(subject.gateway, "tok_visa")
    assert paid.payment_intent_id is not None
    refund = await subject.gateway.refund(
        payment_intent_id=paid.payment_intent_id, idempotency_key="refund-1"
    )
    assert refund.amount == 4200 and refund.refund_id
    again = await subject.gateway.refund(
        payment_intent_id=paid.payment_intent_id, idempotency_key="refund-1"
    )
    assert again.refund_id == refund.refund_id
    with pytest.raises(GatewayRejected) as raised:
        await subject.gateway.refund(
            payment_intent_id=paid.payment_intent_id, idempotency_key="refund-2"
        )
    assert raised.value.code == "charge_already_refunded"


async def test_a_waiting_intent_is_called_off_and_a_paid_one_is_not(subject: Subject) -> None:
    waiting = await charge(subject.gateway, "tok_threeDSecure2Required")
    assert waiting.payment_intent_id is not None
    status = await subject.gateway.cancel_intent(
        payment_intent_id=waiting.payment_intent_id, idempotency_key="cancel-1"
    )
    assert status == "canceled"
    assert (await subject.gateway.get_intent(waiting.payment_intent_id))["status"] == "canceled"
    paid = await charge(subject.gateway, "tok_visa")
    assert paid.payment_intent_id is not None
    with pytest.raises(GatewayRejected) as raised:
        await subject.gateway.cancel_intent(
            payment_intent_id=paid.payment_intent_id, idempotency_key="cancel-2"
        )
    assert raised.value.code == "payment_intent_unexpected_state"
