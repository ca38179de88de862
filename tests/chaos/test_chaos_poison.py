"""Poison messages reach the DLQ, with the reason, without blocking anything.

Not JSON, an unknown event type, an unknown version and a payload that fails validation go
onto the inventory queue ahead of a valid OrderPlaced. Each lands in the DLQ, untouched, with a
`failure_reason` attribute saying why; the valid one is handled; the worker carries on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chaos_harness import (
    GRACE_SECONDS,
    ChaosStack,
    add_product,
    new_order_id,
    order_placed,
    queue_depth,
    send,
    send_event,
    wait_until_async,
)

from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.events import outcome_id

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(120)]


def poison(product_id: str) -> dict[str, tuple[str, str, str]]:
    """case -> (body, event_type attribute, what the failure_reason must say)."""
    valid = json.loads(order_placed(new_order_id(), (product_id, 1)).model_dump_json())
    unknown = {**valid, "type": "ParcelLost"}
    future = {**valid, "version": 9}
    invalid = {**valid, "payload": {**valid["payload"], "items": []}}
    return {
        "not-json": ("{this is not json", "OrderPlaced", "not a valid event envelope"),
        "unknown-type": (json.dumps(unknown), "ParcelLost", "no handler for ParcelLost"),
        "bad-version": (json.dumps(future), "OrderPlaced", "unknown event OrderPlaced v9"),
        "invalid-payload": (json.dumps(invalid), "OrderPlaced", "invalid OrderPlaced payload"),
    }


async def dead_letters(chaos: ChaosStack, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        response = await chaos.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return found
        found.extend(messages)


async def test_poison_goes_to_the_dlq_and_the_rest_is_handled(chaos: ChaosStack) -> None:
    observer = await chaos.observe()
    queue, dlq = await chaos.url("inventory"), await chaos.url("inventory-dlq")
    product = await add_product(chaos.dynamodb, 5)
    cases = poison(product)
    for body, event_type, _ in cases.values():
        await send(chaos.sqs, queue, body, event_type)
    valid = order_placed(new_order_id(), (product, 2))
    await send_event(chaos.sqs, queue, valid)

    worker = await chaos.start("inventory")
    await worker.wait_handled({valid.id: 1}, 40)

    async def all_dead() -> bool:
        return await queue_depth(chaos.sqs, dlq) >= len(cases)

    await wait_until_async(all_dead, 20, "every poison message in the DLQ", worker.tail)
    letters = await dead_letters(chaos, dlq)
    by_body = {letter["Body"]: letter for letter in letters}
    assert len(letters) == len(by_body) == len(cases), letters
    for case, (body, _, reason) in cases.items():
        attributes = by_body[body]["MessageAttributes"]
        failure = attributes["failure_reason"]["StringValue"]
        assert failure.startswith("poison: ") and reason in failure, (case, failure)
        assert attributes["source_queue"]["StringValue"] == "inventory"
    dead_lettered = worker.logged("message_dead_lettered")
    assert len(dead_lettered) == len(cases), dead_lettered

    # The valid order went through as if nothing else were there; the worker is still up.
    assert await ReservationStore(chaos.dynamodb).stock(product) == 3
    [outcome] = await observer.of(valid.correlation_id)
    assert outcome.id == outcome_id(valid.id, "InventoryReserved")
    assert worker.returncode is None
    assert await worker.terminate(GRACE_SECONDS + 6) == 0
    assert await queue_depth(chaos.sqs, queue) == 0
