"""A worker SIGKILLed mid-message still ends with the right single outcome once restarted.

Each worker is killed (by `ECOMMERCE_CRASH_AT`) at the two points where a crash hurts most:
`after_state_change` (its store changed, nothing published yet) and `before_delete` (published,
the message not yet deleted). The message comes back after the (lowered) visibility timeout, and
a restarted worker, without the crash, finishes the job: one reservation, one charge, one
transition, and the outcome published under the one id it would have had anyway.
"""

from __future__ import annotations

import signal
from typing import Any

import asyncpg
import pytest
from chaos_harness import (
    GRACE_SECONDS,
    ChaosStack,
    Gateway,
    WorkerProcess,
    add_product,
    assert_reconciled,
    ids,
    inventory_reserved,
    new_order_id,
    order_placed,
    order_record,
    payment_succeeded,
    queue_depth,
    seed_order,
    send_event,
)

from ecommerce.catalog.inventory.reservation import ReservationStatus
from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.events import Envelope, outcome_id
from ecommerce.orders.domain import Status
from ecommerce.payments.ledger import Ledger, PaymentStatus

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

POINTS = ("after_state_change", "before_delete")
VISIBILITY_SECONDS = 2
"""The worker queue's visibility timeout during the test, so the message comes back quickly."""
CRASH_WITHIN = 40.0
HANDLE_WITHIN = 40.0
EXIT_WITHIN = GRACE_SECONDS + 6


async def deliver_and_crash(
    chaos: ChaosStack,
    worker: str,
    point: str,
    event: Envelope,
    gateway: Gateway | None = None,
) -> WorkerProcess:
    """Deliver `event` once to a worker that SIGKILLs itself at `point`; return it, dead."""
    await chaos.lower_visibility(worker, VISIBILITY_SECONDS)
    await send_event(chaos.sqs, await chaos.url(worker), event)
    crashing = await chaos.start(worker, gateway=gateway, crash_at=point)
    code = await crashing.wait_exit(CRASH_WITHIN)
    assert code == -signal.SIGKILL, f"exit code {code}\n{crashing.tail()}"
    assert crashing.handled(event.id) == [], "the crash came after the delete"
    return crashing


async def restart_and_finish(
    chaos: ChaosStack, worker: str, event: Envelope, gateway: Gateway | None = None
) -> WorkerProcess:
    """A worker without the crash handles the redelivered message, then stops cleanly."""
    restarted = await chaos.start(worker, gateway=gateway)
    await restarted.wait_handled({event.id: 1}, HANDLE_WITHIN)
    [handled] = restarted.handled(event.id)
    assert handled["receive_count"] >= 2, handled  # the same message, delivered again
    assert await restarted.terminate(EXIT_WITHIN) == 0
    assert await queue_depth(chaos.sqs, await chaos.url(worker)) == 0
    assert await queue_depth(chaos.sqs, await chaos.url(f"{worker}-dlq")) == 0
    return restarted


def published_before_crash(point: str) -> int:
    return 0 if point == "after_state_change" else 1


@pytest.mark.parametrize("point", POINTS)
async def test_inventory_killed_mid_message_reserves_once(chaos: ChaosStack, point: str) -> None:
    store = ReservationStore(chaos.dynamodb)
    observer = await chaos.observe()
    product = await add_product(chaos.dynamodb, 5)
    event = order_placed(new_order_id(), (product, 2))
    order_id = event.correlation_id
    expected_id = outcome_id(event.id, "InventoryReserved")

    await deliver_and_crash(chaos, "inventory", point, event)
    assert await store.stock(product) == 3
    reservation = await store.get(order_id)
    assert reservation is not None and reservation.status is ReservationStatus.RESERVED
    before = await observer.of(order_id)
    assert len(before) == published_before_crash(point), before

    await restart_and_finish(chaos, "inventory", event)
    assert await store.stock(product) == 3
    outcomes = await observer.of(order_id)
    assert [e.type for e in outcomes] == ["InventoryReserved"] * (len(before) + 1), outcomes
    assert ids(outcomes) == {expected_id}


@pytest.mark.parametrize("point", POINTS)
async def test_payments_killed_mid_message_charges_once(
    chaos: ChaosStack, gateways: Any, point: str
) -> None:
    gateway: Gateway = await gateways()
    ledger = Ledger(chaos.dynamodb, 60)
    observer = await chaos.observe()
    event = inventory_reserved(new_order_id(), "tok_visa")
    order_id = event.correlation_id

    await deliver_and_crash(chaos, "payments", point, event, gateway)
    record = await ledger.get(order_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED and record.approved
    [intent] = await gateway.intents_for(order_id)
    before = await observer.of(order_id)
    assert len(before) == published_before_crash(point), before

    await restart_and_finish(chaos, "payments", event, gateway)
    assert [i["id"] for i in await gateway.intents_for(order_id)] == [intent["id"]]
    assert gateway.charge_calls == 1, gateway.calls  # the restart read the ledger, not the gateway
    outcomes = await observer.of(order_id)
    assert [e.type for e in outcomes] == ["PaymentSucceeded"] * (len(before) + 1), outcomes
    assert ids(outcomes) == {outcome_id(event.id, "PaymentSucceeded")}
    assert {e.payload["payment_id"] for e in outcomes} == {intent["id"]}
    await assert_reconciled(chaos, gateway, confirmed=[order_id])


@pytest.mark.parametrize("point", POINTS)
async def test_orders_killed_mid_message_transitions_once(
    chaos: ChaosStack, orders_pool: asyncpg.Pool, point: str
) -> None:
    order = await seed_order(orders_pool, Status.RESERVED)
    event = payment_succeeded(order.id)
    expected = (
        "CONFIRMED",
        ["PENDING", "RESERVED", "CONFIRMED"],
        [(outcome_id(event.id, "OrderConfirmed"), "OrderConfirmed")],
        [event.id],
    )

    await deliver_and_crash(chaos, "orders", point, event)
    at_crash = await order_record(orders_pool, order.id)
    assert (at_crash.status, at_crash.history, at_crash.outbox, at_crash.processed) == expected

    restarted = await restart_and_finish(chaos, "orders", event)
    after = await order_record(orders_pool, order.id)
    assert (after.status, after.history, after.outbox, after.processed) == expected
    assert restarted.logged("order_event_applied", event_id=event.id) == []  # a duplicate
