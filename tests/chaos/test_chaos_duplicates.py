"""Delivering every event type twice changes nothing twice.

For each worker and each event type it handles, the same envelope goes twice onto the worker's
queue. Stock is taken (or given back) once, a card is charged (or refunded) once, an order makes
each transition once, and what is published again carries the same event id.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from chaos_harness import (
    GRACE_SECONDS,
    ChaosStack,
    Gateway,
    add_product,
    assert_reconciled,
    ids,
    inventory_rejected,
    inventory_reserved,
    order_cancelled,
    order_confirmed,
    order_placed,
    order_record,
    payment_failed,
    payment_succeeded,
    queue_depth,
    seed_order,
    send_event,
    wait_until_async,
)

from ecommerce.catalog.inventory.reservation import ReservationStatus
from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.events import outcome_id
from ecommerce.orders.domain import Status
from ecommerce.payments.ledger import Ledger, PaymentStatus

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

HANDLE_WITHIN = 30.0
EXIT_WITHIN = GRACE_SECONDS + 6


async def stock(dynamodb: Any, product_id: str) -> int | None:
    return await ReservationStore(dynamodb).stock(product_id)


async def test_inventory_takes_and_gives_back_stock_once(chaos: ChaosStack) -> None:
    db = chaos.dynamodb
    reservations = ReservationStore(db)
    observer = await chaos.observe()
    queue = await chaos.url("inventory")
    reserved_p, short_p, committed_p, released_p = (
        await add_product(db, 10),
        await add_product(db, 2),
        await add_product(db, 10),
        await add_product(db, 10),
    )
    placed = order_placed("o-" + reserved_p, (reserved_p, 3))
    refused = order_placed("o-" + short_p, (short_p, 5))
    to_commit = order_placed("o-" + committed_p, (committed_p, 4))
    to_release = order_placed("o-" + released_p, (released_p, 6))
    for event in (placed, refused):
        await send_event(chaos.sqs, queue, event, times=2)
    for event in (to_commit, to_release):
        await send_event(chaos.sqs, queue, event)

    worker = await chaos.start("inventory")
    await worker.wait_handled(
        {placed.id: 2, refused.id: 2, to_commit.id: 1, to_release.id: 1}, HANDLE_WITHIN
    )
    confirmed = order_confirmed(to_commit.correlation_id)
    cancelled = order_cancelled(to_release.correlation_id)
    for event in (confirmed, cancelled):
        await send_event(chaos.sqs, queue, event, times=2)
    await worker.wait_handled({confirmed.id: 2, cancelled.id: 2}, HANDLE_WITHIN)

    # OrderPlaced, reserved: stock taken once; InventoryReserved again under one id.
    assert await stock(db, reserved_p) == 7
    outcomes = await observer.of(placed.correlation_id)
    assert [e.type for e in outcomes] == ["InventoryReserved"] * 2, outcomes
    assert ids(outcomes) == {outcome_id(placed.id, "InventoryReserved")}
    # OrderPlaced, rejected: nothing taken; InventoryRejected again under one id.
    assert await stock(db, short_p) == 2
    outcomes = await observer.of(refused.correlation_id)
    assert [e.type for e in outcomes] == ["InventoryRejected"] * 2, outcomes
    assert ids(outcomes) == {outcome_id(refused.id, "InventoryRejected")}
    # OrderConfirmed: committed once, stock as reserved.
    committed = await reservations.get(to_commit.correlation_id)
    assert committed is not None and committed.status is ReservationStatus.COMMITTED
    assert await stock(db, committed_p) == 6
    assert len(worker.logged("reservation_committed", event_id=confirmed.id)) == 1
    # OrderCancelled: the stock comes back once, not twice.
    released = await reservations.get(to_release.correlation_id)
    assert released is not None and released.status is ReservationStatus.RELEASED
    assert await stock(db, released_p) == 10
    assert len(worker.logged("stock_released", event_id=cancelled.id)) == 1

    assert await worker.terminate(EXIT_WITHIN) == 0
    assert await queue_depth(chaos.sqs, queue) == 0
    assert await queue_depth(chaos.sqs, await chaos.url("inventory-dlq")) == 0


async def test_payments_charges_and_refunds_once(chaos: ChaosStack, gateways: Any) -> None:
    gateway: Gateway = await gateways()
    ledger = Ledger(chaos.dynamodb, 60)
    observer = await chaos.observe()
    queue = await chaos.url("payments")
    approved = inventory_reserved("o-approved-" + chaos.prefix, "tok_visa")
    declined = inventory_reserved("o-declined-" + chaos.prefix, "tok_chargeDeclined")
    to_refund = inventory_reserved("o-refund-" + chaos.prefix, "tok_visa")
    for event in (approved, declined):
        await send_event(chaos.sqs, queue, event, times=2)
    await send_event(chaos.sqs, queue, to_refund)

    worker = await chaos.start("payments", gateway=gateway)
    await worker.wait_handled({approved.id: 2, declined.id: 2, to_refund.id: 1}, HANDLE_WITHIN)
    cancelled = order_cancelled(to_refund.correlation_id)
    await send_event(chaos.sqs, queue, cancelled, times=2)
    await worker.wait_handled({cancelled.id: 2}, HANDLE_WITHIN)

    # Approved: one payment intent, PaymentSucceeded again under one id.
    [intent] = await gateway.intents_for(approved.correlation_id)
    assert intent["status"] == "succeeded"
    outcomes = await observer.of(approved.correlation_id)
    assert [e.type for e in outcomes] == ["PaymentSucceeded"] * 2, outcomes
    assert ids(outcomes) == {outcome_id(approved.id, "PaymentSucceeded")}
    assert {e.payload["payment_id"] for e in outcomes} == {intent["id"]}
    # Declined: one (declined) intent, PaymentFailed again under one id.
    assert len(await gateway.intents_for(declined.correlation_id)) == 1
    outcomes = await observer.of(declined.correlation_id)
    assert [e.type for e in outcomes] == ["PaymentFailed"] * 2, outcomes
    assert ids(outcomes) == {outcome_id(declined.id, "PaymentFailed")}
    # OrderCancelled after a charge: one refund of the one intent.
    [charged] = await gateway.intents_for(to_refund.correlation_id)
    refunds = await gateway.refunds_for(charged["id"])
    assert len(refunds) == 1 and refunds[0]["amount"] == charged["amount"], refunds
    record = await ledger.get(to_refund.correlation_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED
    assert record.refund_status == "REFUNDED"

    # The gateway was asked to charge each order once and to refund once: the ledger's claims
    # stop a second delivery before the gateway (whose idempotency key is the last line).
    assert gateway.charge_calls == 3, gateway.calls
    assert gateway.calls[("POST", "/v1/refunds")] == 1, gateway.calls
    assert await worker.terminate(EXIT_WITHIN) == 0
    assert await queue_depth(chaos.sqs, queue) == 0
    assert await queue_depth(chaos.sqs, await chaos.url("payments-dlq")) == 0
    await assert_reconciled(
        chaos,
        gateway,
        confirmed=[approved.correlation_id],
        cancelled={
            declined.correlation_id: "payment_declined",
            to_refund.correlation_id: "customer_cancelled",
        },
    )


async def test_orders_makes_each_transition_once(
    chaos: ChaosStack, orders_pool: asyncpg.Pool
) -> None:
    queue = await chaos.url("orders")
    pending_a = await seed_order(orders_pool)
    pending_b = await seed_order(orders_pool)
    reserved_c = await seed_order(orders_pool, Status.RESERVED)
    reserved_d = await seed_order(orders_pool, Status.RESERVED)
    events = {
        "reserved": inventory_reserved(pending_a.id),
        "rejected": inventory_rejected(pending_b.id),
        "succeeded": payment_succeeded(reserved_c.id),
        "failed": payment_failed(reserved_d.id),
    }
    for event in events.values():
        await send_event(chaos.sqs, queue, event, times=2)

    worker = await chaos.start("orders")
    await worker.wait_handled({event.id: 2 for event in events.values()}, HANDLE_WITHIN)

    a = await order_record(orders_pool, pending_a.id)
    assert (a.status, a.history, a.outbox) == ("RESERVED", ["PENDING", "RESERVED"], [])
    b = await order_record(orders_pool, pending_b.id)
    assert (b.status, b.reason, b.history) == (
        "CANCELLED",
        "out_of_stock",
        ["PENDING", "CANCELLED"],
    )
    assert b.outbox == [(outcome_id(events["rejected"].id, "OrderCancelled"), "OrderCancelled")]
    c = await order_record(orders_pool, reserved_c.id)
    assert (c.status, c.history) == ("CONFIRMED", ["PENDING", "RESERVED", "CONFIRMED"])
    assert c.outbox == [(outcome_id(events["succeeded"].id, "OrderConfirmed"), "OrderConfirmed")]
    d = await order_record(orders_pool, reserved_d.id)
    assert (d.status, d.reason) == ("CANCELLED", "payment_declined")
    assert d.history == ["PENDING", "RESERVED", "CANCELLED"]
    assert d.outbox == [(outcome_id(events["failed"].id, "OrderCancelled"), "OrderCancelled")]
    for record, event in zip((a, b, c, d), events.values(), strict=True):
        assert record.processed == [event.id]
    # The second delivery of each was seen as a duplicate.
    for event in events.values():
        handled = [
            line
            for line in worker.logged("order_event_applied")
            if line.get("event_id") == event.id
        ]
        assert len(handled) == 1, handled

    assert await worker.terminate(EXIT_WITHIN) == 0

    async def emptied() -> bool:
        return await queue_depth(chaos.sqs, queue) == 0

    await wait_until_async(emptied, 5, "the orders queue to be empty")
    assert await queue_depth(chaos.sqs, await chaos.url("orders-dlq")) == 0
