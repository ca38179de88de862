"""The payments ledger and use cases against DynamoDB and the gateway simulator."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from recording import RecordingPublisher

from ecommerce.events import (
    Envelope,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    new_event,
)
from ecommerce.gateway_sim import create_app
from ecommerce.payments.credentials import FixedApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.ledger import Ledger, PaymentStatus
from ecommerce.payments.service import PaymentInProgress, Payments

pytestmark = pytest.mark.integration


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[GatewayClient, aiohttp.ClientSession, str]]:
    server = TestServer(create_app())
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        base = str(server.make_url("")).rstrip("/")
        yield GatewayClient(session, base, FixedApiKey("sk_test_local")), session, base
    await server.close()


def reserved(order_id: str, token: str, amount: int = 4200) -> tuple[Envelope, InventoryReserved]:
    payload = InventoryReserved(
        order_id=order_id,
        items=(
            LineItem(product_id="p-1", quantity=1, unit_price=Money(amount=amount, currency="USD")),
        ),
        total=Money(amount=amount, currency="USD"),
        payment_token=token,
    )
    return new_event(payload, producer="inventory", correlation_id=order_id), payload


async def intents_for(session: aiohttp.ClientSession, base: str, order_id: str) -> list[Any]:
    headers = {"Authorization": "Bearer sk_test_local"}
    async with session.get(f"{base}/v1/payment_intents?limit=100", headers=headers) as response:
        listing = await response.json()
    return [pi for pi in listing["data"] if pi["metadata"].get("order_id") == order_id]


async def test_a_charge_happens_once_however_often_delivered(dynamodb: Any, gateway: Any) -> None:
    client, session, base = gateway
    publisher = RecordingPublisher()
    payments = Payments(Ledger(dynamodb, 60), client, publisher)
    order_id = str(uuid.uuid4())
    event, payload = reserved(order_id, "tok_visa")
    for _ in range(3):
        await payments.on_inventory_reserved(event, payload)
    assert [e.type for e in publisher.events] == ["PaymentSucceeded"] * 3
    assert len({e.id for e in publisher.events}) == 1
    assert len(await intents_for(session, base, order_id)) == 1
    record = await Ledger(dynamodb, 60).get(order_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED and record.approved


async def test_declined_card_is_a_payment_failed(dynamodb: Any, gateway: Any) -> None:
    client, _, _ = gateway
    publisher = RecordingPublisher()
    payments = Payments(Ledger(dynamodb, 60), client, publisher)
    event, payload = reserved(str(uuid.uuid4()), "tok_chargeDeclined")
    await payments.on_inventory_reserved(event, payload)
    assert publisher.events[0].type == "PaymentFailed"
    assert publisher.events[0].payload["reason"] == "payment_declined"


async def test_a_live_lease_blocks_a_second_charge(dynamodb: Any, gateway: Any) -> None:
    client, session, base = gateway
    ledger = Ledger(dynamodb, 60)
    order_id = str(uuid.uuid4())
    assert (await ledger.claim_charge(order_id, 100, "USD")).token is not None
    payments = Payments(ledger, client, RecordingPublisher())
    event, payload = reserved(order_id, "tok_visa")
    with pytest.raises(PaymentInProgress):
        await payments.on_inventory_reserved(event, payload)
    assert await intents_for(session, base, order_id) == []


async def test_an_expired_lease_is_taken_over_with_the_same_gateway_key(
    dynamodb: Any, gateway: Any
) -> None:
    client, session, base = gateway
    order_id = str(uuid.uuid4())
    # A worker that charged and died before recording it: the gateway has the charge.
    await client.charge(
        order_id=order_id,
        amount=4200,
        currency="usd",
        payment_method="tok_visa",
        idempotency_key=f"charge-{order_id}",
    )
    assert (await Ledger(dynamodb, -1).claim_charge(order_id, 4200, "USD")).token is not None
    publisher = RecordingPublisher()
    payments = Payments(Ledger(dynamodb, 60), client, publisher)
    event, payload = reserved(order_id, "tok_visa")
    await payments.on_inventory_reserved(event, payload)
    assert [e.type for e in publisher.events] == ["PaymentSucceeded"]
    assert len(await intents_for(session, base, order_id)) == 1


async def test_cancel_refunds_once_and_cancel_first_forbids_the_charge(
    dynamodb: Any, gateway: Any
) -> None:
    client, session, base = gateway
    publisher = RecordingPublisher()
    ledger = Ledger(dynamodb, 60)
    payments = Payments(ledger, client, publisher)
    order_id = str(uuid.uuid4())
    event, payload = reserved(order_id, "tok_visa")
    await payments.on_inventory_reserved(event, payload)
    cancelled = OrderCancelled(order_id=order_id, reason="customer_cancelled")
    for _ in range(3):
        await payments.on_order_cancelled(event, cancelled)
    record = await ledger.get(order_id)
    assert record is not None and record.refund_status == "REFUNDED"
    headers = {"Authorization": "Bearer sk_test_local"}
    async with session.get(f"{base}/v1/refunds?limit=100", headers=headers) as response:
        refunds = [
            r
            for r in (await response.json())["data"]
            if r["payment_intent"] == record.payment_intent_id
        ]
    assert len(refunds) == 1 and refunds[0]["amount"] == 4200

    early = str(uuid.uuid4())
    await payments.on_order_cancelled(
        event, OrderCancelled(order_id=early, reason="customer_cancelled")
    )
    late_event, late_payload = reserved(early, "tok_visa")
    await payments.on_inventory_reserved(late_event, late_payload)
    assert await intents_for(session, base, early) == []


async def test_a_card_that_needs_authentication_waits_for_the_customer(
    dynamodb: Any, gateway: Any
) -> None:
    client, session, base = gateway
    publisher = RecordingPublisher()
    ledger = Ledger(dynamodb, 60)
    payments = Payments(ledger, client, publisher)
    order_id = str(uuid.uuid4())
    event, payload = reserved(order_id, "tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    await payments.on_inventory_reserved(event, payload)  # redelivered: told again, not charged
    assert [e.type for e in publisher.events] == ["PaymentActionRequired"] * 2
    action = publisher.events[0].payload
    [intent] = await intents_for(session, base, order_id)
    assert action["payment_id"] == intent["id"]
    assert action["client_secret"] == intent["client_secret"]
    assert action["next_action"]["redirect_to_url"]["url"].endswith(intent["id"])
    record = await ledger.get(order_id)
    assert record is not None and record.status is PaymentStatus.ACTION_REQUIRED


async def test_a_cancel_while_waiting_calls_the_payment_off(dynamodb: Any, gateway: Any) -> None:
    client, session, base = gateway
    ledger = Ledger(dynamodb, 60)
    payments = Payments(ledger, client, RecordingPublisher())
    order_id = str(uuid.uuid4())
    event, payload = reserved(order_id, "tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    expired = OrderCancelled(order_id=order_id, reason="payment_expired")
    await payments.on_order_cancelled(event, expired)
    await payments.on_order_cancelled(event, expired)
    [intent] = await intents_for(session, base, order_id)
    assert intent["status"] == "canceled"
    record = await ledger.get(order_id)
    assert record is not None and record.status is PaymentStatus.CANCELLED
    # The customer authenticates too late: the processor refuses, nothing is charged.
    async with session.post(
        f"{base}/test/authenticate/{intent['id']}", data={"outcome": "succeed"}
    ) as response:
        assert response.status == 400


async def test_a_cancel_after_the_customer_paid_refunds(dynamodb: Any, gateway: Any) -> None:
    client, session, base = gateway
    ledger = Ledger(dynamodb, 60)
    payments = Payments(ledger, client, RecordingPublisher())
    order_id = str(uuid.uuid4())
    event, payload = reserved(order_id, "tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    [intent] = await intents_for(session, base, order_id)
    async with session.post(
        f"{base}/test/authenticate/{intent['id']}", data={"outcome": "succeed"}
    ) as response:
        assert response.status == 200  # paid; its webhook has not been applied yet
    await payments.on_order_cancelled(
        event, OrderCancelled(order_id=order_id, reason="payment_expired")
    )
    record = await ledger.get(order_id)
    assert record is not None
    assert (record.status, record.approved, record.refund_status) == (
        PaymentStatus.COMPLETED,
        True,
        "REFUNDED",
    )
