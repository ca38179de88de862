"""Every queue's worker takes whatever arrives: poison goes to the DLQ at once, with a reason.

Random text, a body near SQS's size limit, JSON nested thousands deep, JSON that is not an
object, valid envelopes with a wrong payload, an unknown version or a type the queue does not
take, and S3 notifications gone wrong are sent to each worker's queue. Each must land in the DLQ
on its first receive (`receive_count` 1) with a `failure_reason`, and the worker must log no
traceback (`message_failed`) and stay up.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from chaos_harness import (
    GRACE_SECONDS,
    ChaosStack,
    Gateway,
    new_order_id,
    order_placed,
    queue_depth,
    send,
    wait_until_async,
)
from test_chaos_poison import dead_letters

from ecommerce.resources import RESOURCES

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(180)]

SQS_MAX_BODY = 256 * 1024
WORKER_OF = {"payment-webhooks": "payments"}
"""The worker that consumes a queue, where it is not named after it."""


def _random_text(size: int, seed: int) -> str:
    """Characters SQS accepts in a body (tab, newlines, and the printable planes), at random."""
    rng = random.Random(seed)
    pool = ["\t", "\n", "\r", *map(chr, range(0x20, 0x7F)), "\u00e9", "\ufffd", "\U0001f600"]
    return "".join(rng.choice(pool) for _ in range(size))


def fuzz_bodies() -> dict[str, str]:
    valid = json.loads(order_placed(new_order_id(), ("p-1", 1)).model_dump_json())
    return {
        "random-text": _random_text(2_000, seed=1),
        "huge": _random_text(SQS_MAX_BODY // 4 - 64, seed=2) + '"' * 100,
        "nested-array": "[" * 50_000,
        "nested-object": '{"a":' * 30_000,
        "json-null": "null",
        "json-list": "[1, 2, 3]",
        "json-string": '"OrderPlaced"',
        "empty-object": "{}",
        "wrong-payload": json.dumps({**valid, "payload": {"order_id": 7, "items": "none"}}),
        "unknown-version": json.dumps({**valid, "version": 99}),
        "unknown-type": json.dumps({**valid, "type": "ParcelLost"}),
        "payload-not-object": json.dumps({**valid, "payload": [1, 2]}),
        "records-not-list": json.dumps({"Records": "nope"}),
        "record-without-s3": json.dumps({"Records": [{"eventSource": "aws:s3"}]}),
        "sns-wrapped-garbage": json.dumps({"Type": "Notification", "Message": "[" * 50_000}),
    }


@pytest.mark.parametrize("queue", [queue.name for queue in RESOURCES.queues])
async def test_every_fuzzed_body_is_dead_lettered_at_once(
    chaos: ChaosStack, gateways: Any, queue: str
) -> None:
    url, dlq = await chaos.url(queue), await chaos.url(f"{queue}-dlq")
    cases = fuzz_bodies()
    for body in cases.values():
        await send(chaos.sqs, url, body, "OrderPlaced")
    gateway: Gateway = await gateways()
    worker = await chaos.start(WORKER_OF.get(queue, queue), gateway=gateway)

    async def all_dead() -> bool:
        return await queue_depth(chaos.sqs, dlq) >= len(cases)

    await wait_until_async(all_dead, 60, f"every fuzzed body in {queue}-dlq", worker.tail)
    letters: list[dict[str, Any]] = await dead_letters(chaos, dlq)
    by_body = {letter["Body"]: letter for letter in letters}
    missing = [case for case, body in cases.items() if body not in by_body]
    assert not missing, missing
    for case, body in cases.items():
        attributes = by_body[body]["MessageAttributes"]
        assert attributes["failure_reason"]["StringValue"].startswith("poison: "), case
        assert attributes["receive_count"]["StringValue"] == "1", case
        assert attributes["source_queue"]["StringValue"] == queue
    assert worker.logged("message_failed") == []
    assert worker.returncode is None
    assert await worker.terminate(GRACE_SECONDS + 6) == 0
    assert await queue_depth(chaos.sqs, url) == 0
