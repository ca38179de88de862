"""SIGTERM during a batch loses nothing, and the worker exits 0 within its grace period.

The worker stops polling, lets the handlers it started finish, hands back what it had not
started and flushes its deletes: a second run then finds exactly the messages the first one
did not handle, and every order ends with one outcome, published once.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from chaos_harness import (
    GRACE_SECONDS,
    ChaosStack,
    Gateway,
    WorkerProcess,
    add_product,
    assert_reconciled,
    inventory_reserved,
    new_order_id,
    order_placed,
    queue_depth,
    send_event,
    wait_until,
    wait_until_async,
)

from ecommerce.catalog.inventory.reservation import ReservationStatus
from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.events import Envelope, outcome_id

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(150)]

MARGIN_SECONDS = 4.0
"""Allowed beyond WORKER_GRACE_SECONDS for closing clients and leaving the interpreter."""
VISIBILITY_SECONDS = 3
START_WITHIN = 40.0


async def send_all(chaos: ChaosStack, queue: str, events: list[Envelope]) -> None:
    url = await chaos.url(queue)
    for start in range(0, len(events), 10):
        chunk = events[start : start + 10]
        response = await chaos.sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {
                    "Id": str(index),
                    "MessageBody": event.model_dump_json(),
                    "MessageAttributes": {
                        "event_type": {"DataType": "String", "StringValue": event.type}
                    },
                }
                for index, event in enumerate(chunk)
            ],
        )
        assert not response.get("Failed"), response


async def stop_within_grace(worker: WorkerProcess) -> int:
    """SIGTERM; the exit code, which must come within WORKER_GRACE_SECONDS + the margin."""
    signalled = time.monotonic()
    worker.signal(signal.SIGTERM)
    code = await worker.wait_exit(GRACE_SECONDS + MARGIN_SECONDS)
    took = time.monotonic() - signalled
    assert took <= GRACE_SECONDS + MARGIN_SECONDS
    return code


def handled_ids(*workers: WorkerProcess) -> list[str]:
    return [str(line.get("event_id")) for w in workers for line in w.logged("message_handled")]


async def test_sigterm_mid_batch_loses_nothing(chaos: ChaosStack) -> None:
    store = ReservationStore(chaos.dynamodb)
    observer = await chaos.observe()
    product = await add_product(chaos.dynamodb, 20)
    events = [order_placed(new_order_id(), (product, 1)) for _ in range(30)]
    await chaos.lower_visibility("inventory", VISIBILITY_SECONDS)
    await send_all(chaos, "inventory", events)

    first = await chaos.start("inventory", env={"WORKER_CONCURRENCY": "4"})
    await wait_until(
        lambda: len(first.logged("message_handled")) >= 4 or first.returncode is not None,
        START_WITHIN,
        "the first run to handle a few messages",
        first.tail,
    )
    assert await stop_within_grace(first) == 0, first.tail()
    handled_first = handled_ids(first)
    assert 4 <= len(handled_first) < len(events), "SIGTERM did not land mid-batch"
    assert first.logged("stop_requested", signal="SIGTERM")
    assert first.logged("consumer_stopped") and first.logged("worker_stopped"), first.tail()

    second = await chaos.start("inventory")

    async def all_settled() -> bool:
        await observer.drain()
        settled = {event.correlation_id for event in observer.events}
        return all(event.correlation_id in settled for event in events)

    await wait_until_async(all_settled, 60, "an outcome for every order", second.tail)
    assert await stop_within_grace(second) == 0, second.tail()

    # Every message was handled exactly once over the two runs: nothing lost, and nothing
    # handled twice (the first run's deletes were flushed before it exited).
    expected = sorted(event.id for event in events)
    assert sorted(handled_ids(first, second)) == expected
    # Every order has one outcome, published once, matching what inventory recorded.
    outcomes: dict[str, list[Envelope]] = {event.correlation_id: [] for event in events}
    for published in observer.events:
        outcomes[published.correlation_id].append(published)
    statuses: list[ReservationStatus] = []
    for event in events:
        [outcome] = outcomes[event.correlation_id]
        assert outcome.id == outcome_id(event.id, outcome.type)
        reservation = await store.get(event.correlation_id)
        assert reservation is not None
        statuses.append(reservation.status)
        expected_type = (
            "InventoryReserved"
            if reservation.status is ReservationStatus.RESERVED
            else "InventoryRejected"
        )
        assert outcome.type == expected_type
    assert statuses.count(ReservationStatus.RESERVED) == 20
    assert statuses.count(ReservationStatus.REJECTED) == 10
    assert await store.stock(product) == 0
    assert await queue_depth(chaos.sqs, await chaos.url("inventory")) == 0
    assert await queue_depth(chaos.sqs, await chaos.url("inventory-dlq")) == 0


async def test_sigterm_lets_slow_handlers_finish(chaos: ChaosStack, gateways: Any) -> None:
    """Handlers in flight at SIGTERM (1.5 s gateway calls) complete before the worker exits;
    nothing is charged twice when the rest are handled by the next run."""
    gateway: Gateway = await gateways(latency_ms=1500)
    observer = await chaos.observe()
    events = [inventory_reserved(new_order_id(), "tok_visa") for _ in range(8)]
    await chaos.lower_visibility("payments", VISIBILITY_SECONDS)
    await send_all(chaos, "payments", events)

    first = await chaos.start("payments", gateway=gateway, env={"WORKER_CONCURRENCY": "3"})
    await wait_until(
        lambda: gateway.calls_started > 0 or first.returncode is not None,
        START_WITHIN,
        "the first charges to reach the gateway",
        first.tail,
    )
    assert await stop_within_grace(first) == 0, first.tail()
    [draining] = first.logged("draining")
    assert draining["in_flight"] >= 1, draining
    stop_at = first.lines.index(first.logged("stop_requested")[0])
    finished_after_stop = [
        line for line in first.lines[stop_at:] if line.get("event") == "message_handled"
    ]
    assert len(finished_after_stop) == draining["in_flight"], first.tail()
    assert not first.logged("grace_period_exceeded")

    assert len(handled_ids(first)) < len(events)
    second = await chaos.start("payments", gateway=gateway)
    rest = [event.id for event in events if event.id not in handled_ids(first)]
    await second.wait_handled(dict.fromkeys(rest, 1), 60)
    assert await stop_within_grace(second) == 0, second.tail()
    assert sorted(handled_ids(first, second)) == sorted(event.id for event in events)
    intents = await gateway.intents()  # one call: every API call waits the 1.5 s
    for event in events:
        assert len(intents[event.correlation_id]) == 1
        [outcome] = await observer.of(event.correlation_id)
        assert outcome.type == "PaymentSucceeded"
    assert gateway.charge_calls == len(events), gateway.calls
    assert await queue_depth(chaos.sqs, await chaos.url("payments")) == 0
    assert await queue_depth(chaos.sqs, await chaos.url("payments-dlq")) == 0
    await assert_reconciled(chaos, gateway, confirmed=[e.correlation_id for e in events])


async def test_a_handler_over_the_grace_period_is_cut_short_and_handed_back(
    chaos: ChaosStack, gateways: Any
) -> None:
    """A handler still running when the grace period ends does not hold the exit: it is
    cancelled, and its message goes back to the queue (not lost, not dead-lettered)."""
    gateway: Gateway = await gateways(latency_ms=15_000)
    event = inventory_reserved(new_order_id(), "tok_visa")
    await send_event(chaos.sqs, await chaos.url("payments"), event)
    worker = await chaos.start("payments", gateway=gateway, env={"WORKER_GRACE_SECONDS": "2"})
    await wait_until(
        lambda: gateway.calls_started > 0 or worker.returncode is not None,
        START_WITHIN,
        "the charge to reach the gateway",
        worker.tail,
    )
    signalled = time.monotonic()
    worker.signal(signal.SIGTERM)
    code = await worker.wait_exit(2 + MARGIN_SECONDS)
    took = time.monotonic() - signalled
    assert code == 0, worker.tail()
    assert took <= 2 + MARGIN_SECONDS
    assert worker.logged("grace_period_exceeded", cancelled=1), worker.tail()
    assert worker.handled(event.id) == []
    assert worker.logged("released_unstarted", count=1), worker.tail()
    assert await queue_depth(chaos.sqs, await chaos.url("payments")) == 1
    assert await queue_depth(chaos.sqs, await chaos.url("payments-dlq")) == 0
