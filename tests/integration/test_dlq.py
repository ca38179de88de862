"""`ecommerce dlq` against the AWS emulator: list, show and redrive, through the consumer runtime.

Each test declares the queues of `ecommerce.resources` under a prefix of its own, so depths are
exactly what the test put there. Against moto (which has no StartMessageMoveTask) redrive falls
back to receive/send/delete; against LocalStack (`AWS_ENDPOINT_URL=...:4566`) the same tests run
the message move task.
"""

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from ecommerce.devstack.provision import redrive_policy
from ecommerce.events import OrderCancelled, PoisonMessage, new_event
from ecommerce.events.envelope import parse_envelope
from ecommerce.ops.dlq import (
    DlqPair,
    RedriveError,
    find_declared,
    list_dlqs,
    peek,
    queue_depth,
    redrive,
    resolve_pair,
)
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.messaging.consumer import Consumer, ConsumerOptions
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.messaging.queues import resolve_queue
from ecommerce.resources import RESOURCES, Queue, physical

pytestmark = pytest.mark.integration

OPTIONS = ConsumerOptions(concurrency=5, handler_timeout=10, grace_seconds=5, wait_seconds=1)


@pytest.fixture
async def sqs(aws_endpoint: str) -> AsyncIterator[Any]:
    clients = AwsClients(os.environ["AWS_REGION"])
    yield await clients.client("sqs")
    await clients.close()


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    """A prefix of this test's own, so that its queues hold only what it puts there."""
    name = f"dlq{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("ECOMMERCE_PREFIX", name)
    return name


async def declare(sqs: Any, queues: tuple[Queue, ...] = RESOURCES.queues) -> None:
    """Each queue with its DLQ and redrive policy, as provisioning makes them."""
    for queue in queues:
        dlq_url = (await sqs.create_queue(QueueName=physical(queue.dlq_name)))["QueueUrl"]
        dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        await sqs.create_queue(
            QueueName=physical(queue.name),
            Attributes={
                "VisibilityTimeout": str(queue.visibility_timeout),
                "RedrivePolicy": redrive_policy(dlq_arn, queue),
            },
        )


async def payments_pair(sqs: Any) -> DlqPair:
    await declare(sqs, (RESOURCES.queue("payments"),))
    return await resolve_pair(sqs, RESOURCES.queue("payments"))


def event_body(order_id: str) -> str:
    event = new_event(
        OrderCancelled(order_id=order_id, reason="customer_cancelled"),
        producer="test",
        correlation_id=order_id,
    )
    return event.model_dump_json()


def event_attributes(event_type: str = "OrderCancelled") -> dict[str, Any]:
    return {"event_type": {"DataType": "String", "StringValue": event_type}}


async def eventually(check: Callable[[], Any], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def receive_all(sqs: Any, url: str, expected: int) -> list[dict[str, Any]]:
    """Every message of a queue (deleted as read), with its attributes."""
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 20
    while len(found) < expected and time.monotonic() < deadline:
        response = await sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        for raw in response.get("Messages", []):
            found[raw["MessageId"]] = raw
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=raw["ReceiptHandle"])
    return list(found.values())


async def run_consumer_until(consumer: Consumer, done: asyncio.Event, limit: float = 20) -> None:
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(done.wait(), limit)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)


async def test_poison_is_shown_with_its_reason_and_redrive_brings_it_back_to_a_consumer(
    sqs: Any, prefix: str
) -> None:
    pair = await payments_pair(sqs)
    config = await resolve_queue(sqs, "payments")
    body = event_body("o-dlq-1")
    event_id = parse_envelope(body).id
    await sqs.send_message(
        QueueUrl=config.url, MessageBody=body, MessageAttributes=event_attributes()
    )

    broken = True
    handled: list[str] = []
    done = asyncio.Event()

    async def handler(message: Message) -> None:
        envelope = parse_envelope(message.body)
        if broken:
            raise PoisonMessage("no refund handler deployed")
        handled.append(envelope.id)
        done.set()

    # 1. The consumer dead-letters it, with the reason.
    consumer = Consumer(sqs, config, handler, OPTIONS)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _depth_is(sqs, pair.dlq_url, 1))
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
    assert (await queue_depth(sqs, config.url)).total == 0

    # 2. `show` reports it, and looking does not consume it.
    for _ in range(2):
        [dead] = await peek(sqs, pair.dlq_url, limit=5)
        assert dead.reason == "poison: no refund handler deployed"
        assert dead.receives == 1
        assert (dead.event_type, dead.event_id, dead.correlation_id) == (
            "OrderCancelled",
            event_id,
            "o-dlq-1",
        )
        depth = await queue_depth(sqs, pair.dlq_url)
        assert (depth.visible, depth.in_flight) == (1, 0)

    # 3. Redrive puts it back in the source queue.
    lines: list[str] = []
    result = await redrive(sqs, pair, progress=lines.append, poll_seconds=0.2)
    assert result.moved == 1
    assert result.failed == 0
    assert lines, "progress is reported"
    await eventually(lambda: _depth_is(sqs, pair.dlq_url, 0))

    # 4. Fixed, a consumer handles it: the same event, once.
    broken = False
    await run_consumer_until(Consumer(sqs, config, handler, OPTIONS), done)
    assert handled == [event_id]
    await eventually(lambda: _depth_is(sqs, config.url, 0))
    assert (await queue_depth(sqs, pair.dlq_url)).total == 0


async def _depth_is(sqs: Any, url: str, expected: int) -> bool:
    return (await queue_depth(sqs, url)).total == expected


async def test_a_message_moved_by_the_redrive_policy_shows_its_receive_count(
    sqs: Any, prefix: str
) -> None:
    pair = await payments_pair(sqs)
    assert pair.max_receive_count == RESOURCES.queue("payments").max_receive_count
    await sqs.send_message(QueueUrl=pair.source_url, MessageBody=event_body("o-dlq-2"))
    # A worker that takes the message and never finishes it, max_receive_count times.
    for _ in range(pair.max_receive_count):
        response = await sqs.receive_message(
            QueueUrl=pair.source_url, VisibilityTimeout=0, WaitTimeSeconds=1
        )
        assert response.get("Messages"), "the message is received while receives remain"
    # The next receive finds it over the limit: SQS moves it to the DLQ instead.
    await sqs.receive_message(QueueUrl=pair.source_url, VisibilityTimeout=0, WaitTimeSeconds=1)
    await eventually(lambda: _depth_is(sqs, pair.dlq_url, 1))

    [dead] = await peek(sqs, pair.dlq_url)
    assert dead.receives == pair.max_receive_count
    assert dead.reason == f"exceeded maxReceiveCount ({pair.max_receive_count} receives)"
    assert dead.event_type == "OrderCancelled"


async def test_peek_is_bounded_and_consumes_nothing(sqs: Any, prefix: str) -> None:
    pair = await payments_pair(sqs)
    for start in range(0, 15, 5):
        await sqs.send_message_batch(
            QueueUrl=pair.dlq_url,
            Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(5)],
        )
    shown = await peek(sqs, pair.dlq_url, limit=12)
    assert len(shown) == 12
    assert len({message.message_id for message in shown}) == 12
    depth = await queue_depth(sqs, pair.dlq_url)
    assert (depth.visible, depth.in_flight) == (15, 0)


async def test_manual_redrive_moves_everything_and_keeps_the_event_attributes(
    sqs: Any, prefix: str
) -> None:
    pair = await payments_pair(sqs)
    bodies = {event_body(f"o-{i}") for i in range(23)}
    bookkeeping = {
        "failure_reason": {"DataType": "String", "StringValue": "poison: test"},
        "source_queue": {"DataType": "String", "StringValue": "payments"},
        "receive_count": {"DataType": "Number", "StringValue": "1"},
    }
    for chunk in _chunks(sorted(bodies), 10):
        await sqs.send_message_batch(
            QueueUrl=pair.dlq_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": body,
                    "MessageAttributes": {**event_attributes(), **bookkeeping},
                }
                for i, body in enumerate(chunk)
            ],
        )
    lines: list[str] = []
    result = await redrive(sqs, pair, method="manual", progress=lines.append)
    assert (result.method, result.moved, result.failed, result.undeleted) == ("manual", 23, 0, 0)
    assert lines[-1].strip() == "moved 23/23"
    assert (await queue_depth(sqs, pair.dlq_url)).total == 0

    back = await receive_all(sqs, pair.source_url, 23)
    assert {raw["Body"] for raw in back} == bodies
    for raw in back:
        assert set(raw["MessageAttributes"]) == {"event_type"}
        assert raw["MessageAttributes"]["event_type"]["StringValue"] == "OrderCancelled"


async def test_manual_redrive_loses_nothing_when_the_source_refuses(sqs: Any, prefix: str) -> None:
    pair = await payments_pair(sqs)
    for i in range(3):
        await sqs.send_message(QueueUrl=pair.dlq_url, MessageBody=f"keep-{i}")
    gone = replace(pair, source_url=pair.source_url.replace(pair.source_name, f"{prefix}-nope"))
    with pytest.raises(Exception, match=r"(?i)exist"):
        await redrive(sqs, gone, method="manual")
    # Nothing was deleted, and nothing is left hidden.
    depth = await queue_depth(sqs, pair.dlq_url)
    assert (depth.visible, depth.in_flight) == (3, 0)


async def test_manual_redrive_moves_only_what_the_dlq_held_when_it_started(
    sqs: Any, prefix: str
) -> None:
    pair = await payments_pair(sqs)
    for i in range(4):
        await sqs.send_message(QueueUrl=pair.dlq_url, MessageBody=f"m{i}")
    result = await redrive(sqs, pair, limit=3)
    assert (result.method, result.moved) == ("manual", 3)
    assert (await queue_depth(sqs, pair.dlq_url)).total == 1
    assert (await queue_depth(sqs, pair.source_url)).total == 3


async def test_auto_redrive_uses_a_move_task_where_there_is_one_and_falls_back_promptly(
    sqs: Any, prefix: str
) -> None:
    pair = await payments_pair(sqs)
    for i in range(5):
        await sqs.send_message(QueueUrl=pair.dlq_url, MessageBody=f"m{i}")
    started = time.monotonic()
    result = await redrive(sqs, pair, poll_seconds=0.2)
    assert result.moved == 5
    if result.method == "manual":
        assert result.note is not None and "StartMessageMoveTask" in result.note
        # One attempt, not the worker client's retries (which take ~25 s on moto's 500).
        assert time.monotonic() - started < 10
    await eventually(lambda: _depth_is(sqs, pair.dlq_url, 0))
    await eventually(lambda: _depth_is(sqs, pair.source_url, 5))


async def test_move_task_only_is_refused_clearly_where_the_endpoint_has_none(
    sqs: Any, prefix: str
) -> None:
    pair = await payments_pair(sqs)
    await sqs.send_message(QueueUrl=pair.dlq_url, MessageBody="m")
    try:
        result = await redrive(sqs, pair, method="move-task", poll_seconds=0.2)
    except RedriveError as error:
        assert "no StartMessageMoveTask" in str(error)
        assert (await queue_depth(sqs, pair.dlq_url)).total == 1
    else:
        assert (result.method, result.moved) == ("move-task", 1)


async def test_redriving_an_empty_dlq_moves_nothing_and_says_so(sqs: Any, prefix: str) -> None:
    pair = await payments_pair(sqs)
    lines: list[str] = []
    result = await redrive(sqs, pair, progress=lines.append)
    assert (result.moved, result.note) == (0, "empty")
    assert lines == [f"{pair.dlq_name} is empty: nothing to move"]


async def test_list_shows_each_dlq_with_visible_and_in_flight(sqs: Any, prefix: str) -> None:
    await declare(sqs)
    payments_dlq = (await sqs.get_queue_url(QueueName=physical("payments-dlq")))["QueueUrl"]
    orders_dlq = (await sqs.get_queue_url(QueueName=physical("orders-dlq")))["QueueUrl"]
    for url, count in ((payments_dlq, 2), (orders_dlq, 3)):
        for i in range(count):
            await sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    held = await sqs.receive_message(QueueUrl=orders_dlq, VisibilityTimeout=60, WaitTimeSeconds=1)
    assert len(held["Messages"]) == 1

    rows = {row.queue: row for row in await list_dlqs(sqs)}
    assert set(rows) == {queue.name for queue in RESOURCES.queues}
    depths = {
        name: (row.depth.visible, row.depth.in_flight) if row.depth else None
        for name, row in rows.items()
    }
    assert depths == {
        "inventory": (0, 0),
        "orders": (2, 1),
        "payments": (2, 0),
        "images": (0, 0),
        "payment-webhooks": (0, 0),
    }
    assert rows["payments"].dlq == f"{prefix}-payments-dlq"


async def test_the_command_lists_shows_and_redrives(
    sqs: Any, prefix: str, tmp_path: Path, aws_endpoint: str
) -> None:
    await declare(sqs)
    pair = await resolve_pair(sqs, find_declared("payments"))
    await sqs.send_message(
        QueueUrl=pair.dlq_url,
        MessageBody=event_body("o-cli"),
        MessageAttributes={
            **event_attributes(),
            "failure_reason": {"DataType": "String", "StringValue": "poison: from the CLI test"},
            "receive_count": {"DataType": "Number", "StringValue": "1"},
        },
    )

    listed = await ecommerce_dlq("list")
    assert listed.returncode == 0, listed.stderr
    assert any(
        line.split()[:2] == ["payments", f"{prefix}-payments-dlq"]
        for line in listed.stdout.splitlines()
    )
    assert "1 dead-lettered message(s) in 5 DLQ(s)" in listed.stdout
    assert f"endpoint {os.environ['AWS_ENDPOINT_URL']} (AWS_ENDPOINT_URL)" in listed.stderr

    shown = await ecommerce_dlq("show", "payments-dlq")
    assert shown.returncode == 0, shown.stderr
    assert "reason   poison: from the CLI test" in shown.stdout
    assert "event    OrderCancelled v1" in shown.stdout
    [line] = (await ecommerce_dlq("show", "payments", "--json")).stdout.splitlines()
    assert json.loads(line)["reason"] == "poison: from the CLI test"

    # With no AWS_ENDPOINT_URL, the running dev stack's endpoint is used.
    state = tmp_path / "state"
    state.mkdir()
    (state / "stack.json").write_text(json.dumps({"endpoints": {"aws": aws_endpoint}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["ECOMMERCE_STATE_DIR"] = str(state)
    dry = await ecommerce_dlq("redrive", "payments", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert (
        f"dry run: would redrive 1 message(s) from {prefix}-payments-dlq to {prefix}-payments; "
        "nothing moved"
    ) in dry.stdout
    assert "reason   poison: from the CLI test" in dry.stdout
    assert (await queue_depth(sqs, pair.dlq_url)).total == 1
    assert (await queue_depth(sqs, pair.source_url)).total == 0
    moved = await ecommerce_dlq("redrive", "payments", env=env)
    assert moved.returncode == 0, moved.stderr
    assert f"redrove 1 message(s) from {prefix}-payments-dlq to {prefix}-payments" in moved.stdout
    assert "dev stack" in moved.stderr
    assert (await queue_depth(sqs, pair.source_url)).total == 1


async def test_the_command_says_when_the_queue_is_not_there(sqs: Any, prefix: str) -> None:
    shown = await ecommerce_dlq("show", "payments")  # nothing declared under this prefix
    assert shown.returncode == 1
    assert "does not exist" in shown.stderr


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def ecommerce_dlq(*argv: str, env: dict[str, str] | None = None) -> Ran:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecommerce.cli",
        "dlq",
        *argv,
        env=env or dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Ran(process.returncode, stdout.decode(), stderr.decode())


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
