"""The SQS consumer runtime against the AWS emulator's SQS."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ecommerce.events import OrderConfirmed, PoisonMessage, new_event
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.messaging.consumer import Consumer, ConsumerOptions, QueueConfig
from ecommerce.platform.messaging.message import Message

pytestmark = pytest.mark.integration


@pytest.fixture
async def sqs(aws_endpoint: str) -> AsyncIterator[Any]:
    clients = AwsClients("us-east-1")
    yield await clients.client("sqs")
    await clients.close()


async def make_queue(sqs: Any, visibility: int = 30, max_receives: int = 3) -> QueueConfig:
    name = f"test-{uuid.uuid4().hex[:12]}"
    dlq_url = (await sqs.create_queue(QueueName=f"{name}-dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    url = (
        await sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(visibility),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}
                ),
            },
        )
    )["QueueUrl"]
    return QueueConfig(name, url, dlq_url, visibility, max_receives)


async def send(sqs: Any, queue: QueueConfig, body: str) -> None:
    await sqs.send_message(QueueUrl=queue.url, MessageBody=body)


async def depth(sqs: Any, url: str) -> int:
    attributes = (
        await sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


async def run_until(consumer: Consumer, done: asyncio.Event, limit: float = 20) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(done.wait(), limit)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)


def event_body() -> str:
    return new_event(
        OrderConfirmed(order_id="o-1"), producer="test", correlation_id="o-1"
    ).model_dump_json()


OPTIONS = ConsumerOptions(concurrency=5, handler_timeout=10, grace_seconds=5, wait_seconds=1)


async def test_handled_messages_are_deleted_in_batches(sqs: Any) -> None:
    queue = await make_queue(sqs)
    for _ in range(25):
        await send(sqs, queue, event_body())
    seen: list[str] = []
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        seen.append(message.message_id)
        if len(seen) == 25:
            done.set()

    consumer = Consumer(sqs, queue, handler, OPTIONS)
    await run_until(consumer, done)
    assert len(set(seen)) == 25
    assert await depth(sqs, queue.url) == 0


async def test_a_failed_message_comes_back_and_then_succeeds(sqs: Any) -> None:
    queue = await make_queue(sqs)
    await send(sqs, queue, event_body())
    receives: list[int] = []
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        receives.append(message.receive_count)
        if message.receive_count == 1:
            raise RuntimeError("transient")
        done.set()

    consumer = Consumer(sqs, queue, handler, OPTIONS)
    await run_until(consumer, done)
    assert receives == [1, 2]
    assert await depth(sqs, queue.url) == 0


async def test_poison_goes_to_the_dlq_with_its_reason_and_others_carry_on(sqs: Any) -> None:
    queue = await make_queue(sqs)
    await send(sqs, queue, "this is not json")
    await send(sqs, queue, event_body())
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        if not message.body.startswith("{"):
            raise PoisonMessage("not JSON")
        done.set()

    consumer = Consumer(sqs, queue, handler, OPTIONS)
    await run_until(consumer, done)
    await asyncio.sleep(0.5)
    dead = await sqs.receive_message(
        QueueUrl=queue.dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=2
    )
    [message] = dead["Messages"]
    assert message["Body"] == "this is not json"
    assert "not JSON" in message["MessageAttributes"]["failure_reason"]["StringValue"]
    assert await depth(sqs, queue.url) == 0


async def test_a_slow_handler_keeps_its_message_invisible(sqs: Any) -> None:
    queue = await make_queue(sqs, visibility=2)
    await send(sqs, queue, event_body())
    calls: list[int] = []
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        calls.append(message.receive_count)
        await asyncio.sleep(5)  # well past the 2 s visibility timeout
        done.set()

    consumer = Consumer(sqs, queue, handler, OPTIONS)
    await run_until(consumer, done, limit=30)
    assert calls == [1]
    assert await depth(sqs, queue.url) == 0


async def test_stop_finishes_in_flight_and_hands_back_the_rest(sqs: Any) -> None:
    queue = await make_queue(sqs)
    for _ in range(6):
        await send(sqs, queue, event_body())
    started = asyncio.Event()
    finished: list[str] = []

    async def handler(message: Message) -> None:
        started.set()
        await asyncio.sleep(1)
        finished.append(message.message_id)

    options = ConsumerOptions(concurrency=2, handler_timeout=10, grace_seconds=5, wait_seconds=1)
    consumer = Consumer(sqs, queue, handler, options)
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(started.wait(), 10)
    consumer.stop()
    await asyncio.wait_for(task, 15)
    # Every message is either handled (and deleted) or visible again right away.
    remaining = await sqs.get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    attributes = remaining["Attributes"]
    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 0
    assert int(attributes["ApproximateNumberOfMessages"]) == 6 - len(finished)
    assert finished


async def test_a_dependency_down_longer_than_the_receives_does_not_dead_letter(sqs: Any) -> None:
    """Five transient failures on a queue that allows two receives: requeued, then handled."""
    queue = await make_queue(sqs, max_receives=2)
    await send(sqs, queue, event_body())
    attempts: list[tuple[int, str | None]] = []
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        attempts.append((message.receive_count, message.attributes.get("transient_retries")))
        if len(attempts) <= 5:
            raise ConnectionRefusedError(111, "Connect call failed")
        done.set()

    consumer = Consumer(sqs, queue, handler, OPTIONS)
    await run_until(consumer, done, limit=60)
    # Each requeued copy starts again at receive 1 (one short of the queue's two receives).
    assert attempts == [(1, None), (1, "1"), (1, "2"), (1, "3"), (1, "4"), (1, "5")]
    assert await depth(sqs, queue.dlq_url) == 0
    assert await depth(sqs, queue.url) == 0


async def test_transient_failures_past_the_budget_reach_the_dlq_with_the_count(
    sqs: Any,
) -> None:
    queue = await make_queue(sqs, max_receives=2)
    await send(sqs, queue, event_body())
    options = ConsumerOptions(
        concurrency=5, handler_timeout=10, grace_seconds=5, wait_seconds=1, transient_requeues=1
    )

    async def handler(message: Message) -> None:
        raise TimeoutError

    consumer = Consumer(sqs, queue, handler, options)
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(120):
            if await depth(sqs, queue.dlq_url):
                break
            await asyncio.sleep(0.5)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
    dead = await sqs.receive_message(
        QueueUrl=queue.dlq_url, MessageAttributeNames=["All"], WaitTimeSeconds=2
    )
    [message] = dead["Messages"]
    reason = message["MessageAttributes"]["failure_reason"]["StringValue"]
    assert reason == "failed 2 times (after 1 transient requeue(s)): TimeoutError", reason


async def test_the_slow_handler_fault_gets_the_message_delivered_again_while_it_runs(
    sqs: Any,
) -> None:
    """`ECOMMERCE_FAULT_SLOW_HANDLER_RATE`: the first run outsleeps a 1 s visibility timeout
    with no heartbeat, so SQS hands the message out again before that run has handled it."""
    from ecommerce.platform.fault_switches import (
        SLOW_HANDLER_RATE,
        SLOW_HANDLER_SECONDS,
        Faults,
    )

    queue = await make_queue(sqs, visibility=30, max_receives=5)
    await send(sqs, queue, event_body())
    runs: list[int] = []
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        runs.append(message.receive_count)
        if len(runs) == 2:
            done.set()

    faults = Faults({SLOW_HANDLER_RATE: "1", SLOW_HANDLER_SECONDS: "1"})
    consumer = Consumer(sqs, queue, handler, OPTIONS, faults=faults)
    await run_until(consumer, done, limit=30)
    # The second delivery (receive count 2) was received while the first run slept, and both
    # runs handled the same message; a third may have come meanwhile too.
    assert runs[:2] == [1, 2], runs
    assert await depth(sqs, queue.url) == 0


async def test_a_message_waiting_for_another_deliverys_charge_lease_outlasts_it(
    sqs: Any,
) -> None:
    """A payments message that meets another delivery's lease (`PaymentInProgress`: a worker
    killed mid-charge holds it for the visibility timeout) is sent again until the lease runs
    out, not dead-lettered after the few seconds its receives last: a cancel dead-lettered so
    would leave its order's charge unrefunded once the charge completed on its next delivery."""
    from ecommerce.payments.service import PaymentInProgress

    queue = await make_queue(sqs, visibility=30, max_receives=3)
    await send(sqs, queue, event_body())
    lease_until = asyncio.get_running_loop().time() + 8
    handled = asyncio.Event()

    async def handler(message: Message) -> None:
        if asyncio.get_running_loop().time() < lease_until:
            raise PaymentInProgress("o-1")
        handled.set()

    consumer = Consumer(sqs, queue, handler, OPTIONS)
    await run_until(consumer, handled, limit=40)
    assert handled.is_set()
    assert await depth(sqs, queue.dlq_url) == 0
    assert await depth(sqs, queue.url) == 0
