"""A charge whose gateway call did not finish is settled by a later delivery, not dead-lettered.

The payments ledger claims an order's charge with a lease before calling the gateway, so that
two deliveries never charge at once. When the call does not finish, because the gateway
answered with a transient error or because a graceful stop ran over its grace period and cut
the handler short, the message comes back within seconds and must be charged (with the same
idempotency key, so at most once) and its outcome published. It must not spend its receives
against a lease nobody holds any more and end in the DLQ, leaving the order RESERVED forever.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest
from chaos_harness import (
    ChaosStack,
    Gateway,
    Observer,
    WorkerProcess,
    assert_reconciled,
    inventory_reserved,
    new_order_id,
    queue_depth,
    send_event,
    wait_until_async,
)

from ecommerce.events import Envelope, outcome_id

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

SETTLE_WITHIN = 45.0
START_WITHIN = 40.0


async def settled_or_dead_lettered(
    chaos: ChaosStack, observer: Observer, event: Envelope, worker: WorkerProcess
) -> None:
    """Wait until the order's outcome is published or its message is in the DLQ; fail on the
    latter with the reason the consumer gave."""
    dlq = await chaos.url("payments-dlq")

    async def decided() -> bool:
        published = await observer.of(event.correlation_id)
        return bool(published) or await queue_depth(chaos.sqs, dlq) > 0

    await wait_until_async(decided, SETTLE_WITHIN, "an outcome or a dead letter", worker.tail)
    dead = await chaos.sqs.receive_message(
        QueueUrl=dlq, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )
    reasons = [
        m["MessageAttributes"]["failure_reason"]["StringValue"] for m in dead.get("Messages", [])
    ]
    assert reasons == [], f"the charge was dead-lettered: {reasons}"


async def assert_charged_once(
    chaos: ChaosStack, gateway: Gateway, observer: Observer, event: Envelope
) -> None:
    [outcome] = await observer.of(event.correlation_id)
    assert (outcome.type, outcome.id) == (
        "PaymentSucceeded",
        outcome_id(event.id, "PaymentSucceeded"),
    )
    [intent] = await gateway.intents_for(event.correlation_id)
    assert intent["status"] == "succeeded" and outcome.payload["payment_id"] == intent["id"]
    assert await queue_depth(chaos.sqs, await chaos.url("payments")) == 0
    await assert_reconciled(chaos, gateway, confirmed=[event.correlation_id])


async def test_a_transient_gateway_error_is_retried_not_dead_lettered(
    chaos: ChaosStack, gateways: Any
) -> None:
    gateway: Gateway = await gateways(failing_charges=1)
    observer = await chaos.observe()
    event = inventory_reserved(new_order_id(), "tok_visa")
    await send_event(chaos.sqs, await chaos.url("payments"), event)

    worker = await chaos.start("payments", gateway=gateway)
    await settled_or_dead_lettered(chaos, observer, event, worker)
    await assert_charged_once(chaos, gateway, observer, event)
    assert gateway.charge_calls == 2, gateway.calls  # the 503, then the charge


async def test_a_charge_cut_short_by_shutdown_is_settled_by_the_next_run(
    chaos: ChaosStack, gateways: Any
) -> None:
    gateway: Gateway = await gateways(latency_ms=4000)
    observer = await chaos.observe()
    event = inventory_reserved(new_order_id(), "tok_visa")
    # The emulator may still serve the stopped worker's cancelled long poll, and hide what
    # it hands back for a visibility timeout: keep that short.
    await chaos.lower_visibility("payments", 3)
    await send_event(chaos.sqs, await chaos.url("payments"), event)

    first = await chaos.start("payments", gateway=gateway, env={"WORKER_GRACE_SECONDS": "1"})

    async def charging() -> bool:
        return gateway.calls_started > 0 or first.returncode is not None

    await wait_until_async(charging, START_WITHIN, "the charge to reach the gateway", first.tail)
    signalled = time.monotonic()
    first.signal(signal.SIGTERM)
    assert await first.wait_exit(8) == 0, first.tail()
    assert time.monotonic() - signalled < 8
    assert first.logged("grace_period_exceeded", cancelled=1), first.tail()

    second = await chaos.start("payments", gateway=gateway)
    await settled_or_dead_lettered(chaos, observer, event, second)
    await assert_charged_once(chaos, gateway, observer, event)
