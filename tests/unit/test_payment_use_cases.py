"""The payments use cases on in-memory ports: charge once per order however often the event
comes, decline, wait for the customer's 3-D Secure, refund on cancel once, call a waiting
payment off, and settle it from the processor's webhook without ever moving it backwards."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

import pytest
from fakes import InMemoryGateway, InMemoryLedger, RecordingPublisher

from ecommerce.events import (
    Envelope,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    PaymentSucceeded,
    new_event,
)
from ecommerce.payments.gateway_outcomes import GatewayUnavailable
from ecommerce.payments.processor_events import ProcessorEvents
from ecommerce.payments.records import PaymentStatus
from ecommerce.payments.service import PaymentInProgress, Payments
from ecommerce.platform.messaging.message import Message

TOTAL = Money(amount=4200, currency="USD")


def reserved(token: str, order_id: str | None = None) -> tuple[Envelope, InventoryReserved]:
    order_id = order_id or str(uuid.uuid4())
    payload = InventoryReserved(
        order_id=order_id,
        items=(LineItem(product_id="p-1", quantity=1, unit_price=TOTAL),),
        total=TOTAL,
        payment_token=token,
    )
    return new_event(payload, producer="inventory", correlation_id=order_id), payload


def cancelled(order_id: str, reason: str = "customer_cancelled") -> tuple[Envelope, OrderCancelled]:
    payload = OrderCancelled.model_validate({"order_id": order_id, "reason": reason})
    return new_event(payload, producer="orders", correlation_id=order_id), payload


def webhook(event_type: str, intent: Mapping[str, object], event_id: str | None = None) -> Message:
    body = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "data": {"object": intent},
    }
    return Message("m-1", "r-1", json.dumps(body), 1, None, {}, None)


@pytest.fixture
def ledger() -> InMemoryLedger:
    return InMemoryLedger()


@pytest.fixture
def gateway() -> InMemoryGateway:
    return InMemoryGateway()


@pytest.fixture
def published() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def payments(
    ledger: InMemoryLedger, gateway: InMemoryGateway, published: RecordingPublisher
) -> Payments:
    return Payments(ledger, gateway, published)


async def test_an_approved_card_is_charged_once_however_often_delivered(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    event, payload = reserved("tok_visa")
    for _ in range(3):
        await payments.on_inventory_reserved(event, payload)
    assert published.types() == ["PaymentSucceeded"] * 3
    assert len({e.id for e in published.events}) == 1  # the same outcome, the same id
    assert len(gateway.charged(payload.order_id)) == 1
    assert gateway.calls == [f"charge charge-{payload.order_id}"]
    succeeded = PaymentSucceeded.model_validate(published.events[0].payload)
    assert succeeded.amount == TOTAL
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED and record.approved


async def test_a_declined_card_is_a_payment_failed_with_its_code(
    payments: Payments, ledger: InMemoryLedger, published: RecordingPublisher
) -> None:
    event, payload = reserved("tok_insufficientFunds")
    await payments.on_inventory_reserved(event, payload)
    await payments.on_inventory_reserved(event, payload)
    assert published.types() == ["PaymentFailed"] * 2
    assert published.events[0].payload["reason"] == "payment_declined"
    assert published.events[0].payload["decline_code"] == "insufficient_funds"
    record = await ledger.get(payload.order_id)
    assert record is not None and record.approved is False


async def test_a_live_lease_makes_another_delivery_wait(
    payments: Payments, ledger: InMemoryLedger, gateway: InMemoryGateway
) -> None:
    event, payload = reserved("tok_visa")
    assert (await ledger.claim_charge(payload.order_id, 4200, "USD")).token is not None
    with pytest.raises(PaymentInProgress):
        await payments.on_inventory_reserved(event, payload)
    assert gateway.calls == []


async def test_an_unfinished_gateway_call_gives_the_claim_up_and_the_retry_charges_once(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    event, payload = reserved("tok_visa")
    gateway.failures.append(GatewayUnavailable("timeout"))
    with pytest.raises(GatewayUnavailable):
        await payments.on_inventory_reserved(event, payload)
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.INPROGRESS
    await payments.on_inventory_reserved(event, payload)  # at once: the lease was released
    assert published.types() == ["PaymentSucceeded"]
    assert len(gateway.charged(payload.order_id)) == 1


async def test_a_lease_run_out_is_taken_over_under_the_same_gateway_key(
    gateway: InMemoryGateway, published: RecordingPublisher
) -> None:
    clock = [1_000.0]
    ledger = InMemoryLedger(lease_seconds=60, clock=lambda: clock[0])
    payments = Payments(ledger, gateway, published)
    event, payload = reserved("tok_visa")
    # A worker claimed, charged and died before recording it.
    assert (await ledger.claim_charge(payload.order_id, 4200, "USD")).token is not None
    await gateway.charge(
        order_id=payload.order_id,
        amount=4200,
        currency="usd",
        payment_method="tok_visa",
        idempotency_key=f"charge-{payload.order_id}",
    )
    with pytest.raises(PaymentInProgress):
        await payments.on_inventory_reserved(event, payload)
    clock[0] += 61
    await payments.on_inventory_reserved(event, payload)
    assert published.types() == ["PaymentSucceeded"]
    assert len(gateway.intents) == 1


async def test_cancel_after_the_charge_refunds_once(
    payments: Payments, ledger: InMemoryLedger, gateway: InMemoryGateway
) -> None:
    event, payload = reserved("tok_visa")
    await payments.on_inventory_reserved(event, payload)
    for _ in range(3):
        await payments.on_order_cancelled(*cancelled(payload.order_id))
    record = await ledger.get(payload.order_id)
    assert record is not None and record.refund_status == "REFUNDED" and record.refund_id
    [intent] = gateway.intents.values()
    assert intent.refund_id == record.refund_id
    assert gateway.calls.count(f"refund refund-{payload.order_id}") == 1


async def test_a_refund_the_processor_made_already_is_recorded_not_repeated(
    payments: Payments, ledger: InMemoryLedger, gateway: InMemoryGateway
) -> None:
    event, payload = reserved("tok_visa")
    await payments.on_inventory_reserved(event, payload)
    [intent] = gateway.intents.values()
    intent.refund_id = "re_dashboard"  # refunded in the processor's dashboard
    await payments.on_order_cancelled(*cancelled(payload.order_id))
    record = await ledger.get(payload.order_id)
    assert record is not None and record.refund_status == "REFUNDED"
    assert record.refund_id == "already-refunded-at-gateway"


async def test_nothing_to_refund_for_a_declined_charge(
    payments: Payments, ledger: InMemoryLedger, gateway: InMemoryGateway
) -> None:
    event, payload = reserved("tok_chargeDeclined")
    await payments.on_inventory_reserved(event, payload)
    await payments.on_order_cancelled(*cancelled(payload.order_id, "payment_declined"))
    record = await ledger.get(payload.order_id)
    assert record is not None and record.refund_status is None
    assert not any(call.startswith("refund") for call in gateway.calls)


async def test_a_cancel_before_the_charge_forbids_it(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    event, payload = reserved("tok_visa")
    await payments.on_order_cancelled(*cancelled(payload.order_id))
    await payments.on_inventory_reserved(event, payload)
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.CANCELLED
    assert gateway.calls == [] and published.types() == []


async def test_a_card_that_needs_authentication_waits_and_is_told_again_on_redelivery(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    event, payload = reserved("tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    await payments.on_inventory_reserved(event, payload)
    assert published.types() == ["PaymentActionRequired"] * 2
    [intent] = gateway.intents.values()
    action = published.events[1].payload
    assert action["payment_id"] == intent.id
    assert action["client_secret"] == f"{intent.id}_secret"
    assert action["next_action"]["redirect_to_url"]["url"].endswith(intent.id)
    assert gateway.calls == [f"charge charge-{payload.order_id}"]
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.ACTION_REQUIRED


async def test_an_expired_wait_calls_the_payment_off(
    payments: Payments, ledger: InMemoryLedger, gateway: InMemoryGateway
) -> None:
    event, payload = reserved("tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    for _ in range(2):
        await payments.on_order_cancelled(*cancelled(payload.order_id, "payment_expired"))
    [intent] = gateway.intents.values()
    assert intent.status == "canceled"
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.CANCELLED


async def test_a_cancel_after_the_customer_paid_records_the_charge_and_refunds_it(
    payments: Payments, ledger: InMemoryLedger, gateway: InMemoryGateway
) -> None:
    event, payload = reserved("tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    [intent] = gateway.intents.values()
    gateway.authenticate(intent.id, succeed=True)  # its webhook is not applied yet
    await payments.on_order_cancelled(*cancelled(payload.order_id, "payment_expired"))
    record = await ledger.get(payload.order_id)
    assert record is not None
    assert (record.status, record.approved, record.refund_status) == (
        PaymentStatus.COMPLETED,
        True,
        "REFUNDED",
    )


async def test_the_webhook_settles_a_waiting_payment_once(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    event, payload = reserved("tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    [intent] = gateway.intents.values()
    gateway.authenticate(intent.id, succeed=True)
    webhooks = ProcessorEvents(ledger, published)
    succeeded = {"id": intent.id, "metadata": {"order_id": payload.order_id}}
    message = webhook("payment_intent.succeeded", succeeded)
    await webhooks(message)
    await webhooks(message)  # redelivered: seen already, not applied again
    assert published.types() == ["PaymentActionRequired", "PaymentSucceeded"]
    event_id = json.loads(message.body)["id"]
    assert ledger.webhooks[event_id] == ("payment_intent.succeeded", "succeeded")
    assert PaymentSucceeded.model_validate(published.events[1].payload).amount == TOTAL
    # A late failure for the same intent (another event id) does not move it back.
    await webhooks(webhook("payment_intent.payment_failed", succeeded))
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED and record.approved
    assert published.types() == ["PaymentActionRequired", "PaymentSucceeded"]


async def test_the_outcome_of_a_charge_settled_by_its_own_answer_is_read_not_remembered(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    # The common case: the charge call's answer settled the payment; the processor reports
    # the same outcome by webhook. One read of the payment shows it changes nothing.
    event, payload = reserved("tok_visa")
    await payments.on_inventory_reserved(event, payload)
    [intent] = gateway.intents.values()
    webhooks = ProcessorEvents(ledger, published)
    obj = {"id": intent.id, "metadata": {"order_id": payload.order_id}}
    for event_type in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        await webhooks(webhook(event_type, obj))
    assert ledger.webhooks == {}  # no mark read or written: nothing to remember
    assert published.types() == ["PaymentSucceeded"]
    record = await ledger.get(payload.order_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED and record.approved


async def test_a_failed_authentication_is_a_payment_failed(
    payments: Payments,
    ledger: InMemoryLedger,
    gateway: InMemoryGateway,
    published: RecordingPublisher,
) -> None:
    event, payload = reserved("tok_threeDSecure2Required")
    await payments.on_inventory_reserved(event, payload)
    [intent] = gateway.intents.values()
    failed = {
        "id": intent.id,
        "metadata": {"order_id": payload.order_id},
        "last_payment_error": {"code": "payment_intent_authentication_failure"},
    }
    await ProcessorEvents(ledger, published)(webhook("payment_intent.payment_failed", failed))
    assert published.types() == ["PaymentActionRequired", "PaymentFailed"]
    assert published.events[1].payload["decline_code"] == "payment_intent_authentication_failure"
    record = await ledger.get(payload.order_id)
    assert record is not None and record.approved is False


async def test_a_webhook_during_the_charge_call_is_looked_at_again_later(
    ledger: InMemoryLedger, published: RecordingPublisher
) -> None:
    order_id = str(uuid.uuid4())
    assert (await ledger.claim_charge(order_id, 4200, "USD")).token is not None
    webhooks = ProcessorEvents(ledger, published)
    message = webhook(
        "payment_intent.succeeded", {"id": "pi_x", "metadata": {"order_id": order_id}}
    )
    await webhooks(message)
    assert not await ledger.webhook_seen(json.loads(message.body)["id"])  # not final
    assert published.types() == []


async def test_refund_and_dispute_webhooks_are_recorded_once(
    payments: Payments, ledger: InMemoryLedger, published: RecordingPublisher
) -> None:
    event, payload = reserved("tok_visa")
    await payments.on_inventory_reserved(event, payload)
    webhooks = ProcessorEvents(ledger, published)
    charge = {
        "id": "ch_1",
        "refunded": True,
        "metadata": {"order_id": payload.order_id},
        "refunds": {"data": [{"id": "re_1"}]},
    }
    assert await webhooks.apply("charge.refunded", charge) == ("refund recorded", True)
    assert await webhooks.apply("charge.refunded", charge) == ("refund known already", True)
    dispute = {"id": "dp_1", "metadata": {"order_id": payload.order_id}}
    assert await webhooks.apply("charge.dispute.created", dispute) == ("dispute recorded", True)
    assert await webhooks.apply("charge.dispute.created", dispute) == (
        "dispute known already",
        True,
    )
    record = await ledger.get(payload.order_id)
    assert record is not None and (record.refund_id, record.dispute_id) == ("re_1", "dp_1")
