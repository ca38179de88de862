"""A handler slower than the visibility timeout is not redelivered while it runs.

The payments worker charges through a gateway that answers after 7 s, on a queue whose
visibility timeout is 3 s: the consumer's heartbeat must keep the message hidden, so the one
delivery is the only one, the gateway is called once, and one outcome is published.
"""

from __future__ import annotations

from typing import Any

import pytest
from chaos_harness import (
    GRACE_SECONDS,
    ChaosStack,
    Gateway,
    assert_reconciled,
    inventory_reserved,
    new_order_id,
    queue_depth,
    send_event,
)

from ecommerce.events import outcome_id
from ecommerce.payments.ledger import Ledger, PaymentStatus

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]

VISIBILITY_SECONDS = 3
GATEWAY_LATENCY_MS = 7000


async def test_a_slow_handler_keeps_its_message(chaos: ChaosStack, gateways: Any) -> None:
    gateway: Gateway = await gateways(latency_ms=GATEWAY_LATENCY_MS)
    observer = await chaos.observe()
    await chaos.lower_visibility("payments", VISIBILITY_SECONDS)
    queue = await chaos.url("payments")
    event = inventory_reserved(new_order_id(), "tok_visa")
    await send_event(chaos.sqs, queue, event)

    worker = await chaos.start("payments", gateway=gateway)
    await worker.wait_handled({event.id: 1}, 60)

    [handled] = worker.handled(event.id)
    assert handled["receive_count"] == 1, handled
    assert handled["duration_ms"] > 2 * VISIBILITY_SECONDS * 1000, handled
    assert worker.logged("message_failed") == [], worker.tail()
    assert gateway.calls_started == 1 and gateway.charge_calls == 1, gateway.calls
    [outcome] = await observer.of(event.correlation_id)
    assert (outcome.type, outcome.id) == (
        "PaymentSucceeded",
        outcome_id(event.id, "PaymentSucceeded"),
    )
    record = await Ledger(chaos.dynamodb, 60).get(event.correlation_id)
    assert record is not None and record.status is PaymentStatus.COMPLETED and record.approved

    assert await worker.terminate(GRACE_SECONDS + 6) == 0
    # Had the message come back while the handler ran, its second copy would still be here
    # (the delete used the first receipt) or would have failed on the ledger's lease.
    assert await queue_depth(chaos.sqs, queue) == 0
    assert await queue_depth(chaos.sqs, await chaos.url("payments-dlq")) == 0
    assert len(worker.logged("message_handled")) == 1
    await assert_reconciled(chaos, gateway, confirmed=[event.correlation_id])
