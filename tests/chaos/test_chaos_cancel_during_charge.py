"""A cancel that arrives while a killed worker's charge lease still stands is not lost.

The payments worker claims an order's charge with a lease as long as the queue's visibility
timeout (60 s) and is killed (SIGKILL) in the gateway call. The customer cancels meanwhile: the
cancel meets the lease (`PaymentInProgress`) for a minute, longer than the five receives'
backoffs last. It must wait the lease out, not go to the DLQ: the charge completes on the
reservation's next delivery and the cancel then refunds it. Dead-lettered, the cancelled
order would keep its capture.
"""

from __future__ import annotations

from typing import Any

import pytest
from chaos_harness import (
    ChaosStack,
    Gateway,
    assert_reconciled,
    inventory_reserved,
    new_order_id,
    order_cancelled,
    queue_depth,
    send_event,
    wait_until_async,
)

# Long: it waits out a 60 s lease. `make test` runs the same mechanism in ~10 s
# (tests/integration/test_consumer.py, a message outlasting another delivery's lease);
# `make test-chaos` runs this one.
pytestmark = [pytest.mark.chaos, pytest.mark.long, pytest.mark.timeout(240)]

REFUNDED_WITHIN = 180.0


async def test_a_cancel_outlasts_the_lease_of_a_worker_killed_mid_charge(
    chaos: ChaosStack, gateways: Any
) -> None:
    gateway: Gateway = await gateways(latency_ms=3000)
    await chaos.lower_visibility("payments", 3)
    queue = await chaos.url("payments")
    dlq = await chaos.url("payments-dlq")
    order_id = new_order_id()
    await send_event(chaos.sqs, queue, inventory_reserved(order_id, "tok_visa"))

    first = await chaos.start("payments", gateway=gateway)

    async def charging() -> bool:
        return gateway.calls_started > 0

    await wait_until_async(charging, 40, "the charge to reach the gateway", first.tail)
    await first.kill()
    await send_event(chaos.sqs, queue, order_cancelled(order_id))
    second = await chaos.start("payments", gateway=gateway)

    async def refunded_or_dead_lettered() -> bool:
        if await queue_depth(chaos.sqs, dlq) > 0:
            return True
        intents = await gateway.intents_for(order_id)
        refunds = [await gateway.refunds_for(intent["id"]) for intent in intents]
        return bool(intents) and all(refunds)

    await wait_until_async(
        refunded_or_dead_lettered, REFUNDED_WITHIN, "a refund or a dead letter", second.tail
    )
    dead = await chaos.sqs.receive_message(
        QueueUrl=dlq, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )
    reasons = [
        m["MessageAttributes"]["failure_reason"]["StringValue"] for m in dead.get("Messages", [])
    ]
    assert reasons == [], f"dead-lettered: {reasons}\n{second.tail()}"
    await assert_reconciled(chaos, gateway, cancelled={order_id: "customer_cancelled"})
