"""Dead-letter queues: their depths, a look at their messages, and redrive to the source queue.

Every declared queue (`ecommerce.resources`) has one DLQ. A message lands there in one of two
ways, and `describe` tells them apart:

- the consumer runtime sent it, with the message attributes `failure_reason`, `source_queue`
  and `receive_count` (a poison message, or one that failed on its last allowed receive);
- SQS's redrive policy moved it after `maxReceiveCount` receives (a worker that died, or a
  handler that kept timing out), with no reason attached: its receive count is the reason.

`peek` consumes nothing: it receives with a short visibility timeout and hands every message
straight back with visibility 0. `redrive` moves messages back to the source queue with
`StartMessageMoveTask` where the endpoint has it, and otherwise receives, sends to the source
and deletes from the DLQ only once the send succeeded, so a crash can at worst deliver a message
twice (consumers are idempotent), never lose one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from ecommerce.platform.aws import client_config
from ecommerce.platform.json_text import NotJson, parse_json
from ecommerce.resources import RESOURCES, Queue, physical

Progress = Callable[[str], None]
Method = Literal["auto", "move-task", "manual"]

PEEK_VISIBILITY_SECONDS = 30
"""How long a peeked message stays hidden if `peek` dies before handing it back."""
REDRIVE_VISIBILITY_SECONDS = 60
"""How long a message being moved by hand stays hidden: ample for one send and one delete."""
BOOKKEEPING_ATTRIBUTES = frozenset({"failure_reason", "source_queue", "receive_count"})
"""What the consumer adds when it dead-letters a message; about the failure, not the event."""
FINISHED = frozenset({"COMPLETED", "CANCELLED", "FAILED"})

# What an endpoint answers when it has no StartMessageMoveTask: moto fails with an HTML 500
# page (its error code is then the bare status), LocalStack-style emulators with 501.
_UNSUPPORTED_CODES = frozenset(
    {
        "500",
        "501",
        "404",
        "405",
        "NotImplemented",
        "NotImplementedException",
        "InvalidAction",
        "UnknownOperation",
        "UnknownOperationException",
        "UnsupportedOperation",
        "AWS.SimpleQueueService.UnsupportedOperation",
    }
)


class UnknownQueue(LookupError):
    def __init__(self, name: str) -> None:
        names = ", ".join(queue.name for queue in RESOURCES.queues)
        super().__init__(f"no declared queue or DLQ called {name!r} (declared: {names})")


class RedriveError(RuntimeError):
    """The redrive could not be done; the message says what happened to the messages."""


# --- naming --------------------------------------------------------------------------------


def find_declared(name: str) -> Queue:
    """The declared queue that `name` means: `payments`, `payments-dlq`, or a physical name."""
    for queue in RESOURCES.queues:
        names = {queue.name, queue.dlq_name, physical(queue.name), physical(queue.dlq_name)}
        if name in names:
            return queue
    raise UnknownQueue(name)


@dataclass(frozen=True)
class DlqPair:
    """A declared queue and its DLQ as they exist at the endpoint."""

    name: str
    source_name: str
    source_url: str
    source_arn: str
    dlq_name: str
    dlq_url: str
    dlq_arn: str
    max_receive_count: int | None


async def resolve_pair(sqs: Any, queue: Queue) -> DlqPair:
    source_name, dlq_name = physical(queue.name), physical(queue.dlq_name)
    source_url, dlq_url = await asyncio.gather(
        _queue_url(sqs, source_name), _queue_url(sqs, dlq_name)
    )
    source, dlq = await asyncio.gather(
        _attributes(sqs, source_url, ["QueueArn", "RedrivePolicy"]),
        _attributes(sqs, dlq_url, ["QueueArn"]),
    )
    policy = json.loads(source.get("RedrivePolicy") or "{}")
    max_receives = policy.get("maxReceiveCount")
    return DlqPair(
        name=queue.name,
        source_name=source_name,
        source_url=source_url,
        source_arn=source["QueueArn"],
        dlq_name=dlq_name,
        dlq_url=dlq_url,
        dlq_arn=dlq["QueueArn"],
        max_receive_count=int(max_receives) if max_receives is not None else None,
    )


async def _queue_url(sqs: Any, name: str) -> str:
    url: str = (await sqs.get_queue_url(QueueName=name))["QueueUrl"]
    return url


async def _attributes(sqs: Any, url: str, names: list[str]) -> dict[str, str]:
    found: dict[str, str] = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names))[
        "Attributes"
    ]
    return found


# --- list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Depth:
    visible: int
    in_flight: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight


@dataclass(frozen=True)
class DlqRow:
    queue: str
    dlq: str
    depth: Depth | None
    problem: str | None = None


async def queue_depth(sqs: Any, url: str) -> Depth:
    found = await _attributes(
        sqs, url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    return Depth(
        visible=int(found.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(found.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


async def list_dlqs(sqs: Any, queues: Sequence[Queue] = RESOURCES.queues) -> list[DlqRow]:
    """Every declared queue's DLQ with its depth; a missing DLQ is a row with its problem."""

    async def row(queue: Queue) -> DlqRow:
        name = physical(queue.dlq_name)
        try:
            depth = await queue_depth(sqs, await _queue_url(sqs, name))
        except ClientError as error:
            if _code(error) in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                return DlqRow(queue.name, name, None, "does not exist")
            raise
        return DlqRow(queue.name, name, depth)

    return list(await asyncio.gather(*(row(queue) for queue in queues)))


# --- show ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receives: int
    """Receives before it was dead-lettered (or, for a redrive-policy move, before this look)."""
    reason: str
    sent_at: datetime | None
    event_type: str | None
    event_version: int | None
    event_id: str | None
    correlation_id: str | None
    body: str
    attributes: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "receives": self.receives,
            "reason": self.reason,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "event_type": self.event_type,
            "event_version": self.event_version,
            "event_id": self.event_id,
            "correlation_id": self.correlation_id,
            "attributes": self.attributes,
            "body": self.body,
        }


def exceeded_reason(receives: int) -> str:
    return f"exceeded maxReceiveCount ({receives} receives)"


def describe(raw: dict[str, Any], *, peeked: bool = True) -> DeadLetter:
    """What a raw DLQ message (a ReceiveMessage entry) says about itself.

    `peeked`: the message was received to look at it, which SQS counted as one more receive.
    """
    system: dict[str, str] = raw.get("Attributes", {})
    attributes = {
        name: str(value.get("StringValue", value.get("BinaryValue", "")))
        for name, value in raw.get("MessageAttributes", {}).items()
    }
    counted = _int(system.get("ApproximateReceiveCount")) or 0
    before = max(0, counted - 1) if peeked else counted
    recorded = _int(attributes.get("receive_count"))
    written = attributes.get("failure_reason")
    if "DeadLetterQueueSourceArn" in system or not written:
        # Moved by the redrive policy (SQS marks such messages, moto does not; the consumer's
        # are new messages without the mark). SQS carries the receive count over, so it is the
        # source queue's receives plus earlier looks at the DLQ. A `failure_reason` here is
        # left over from an earlier trip through the DLQ (a move task keeps attributes).
        receives = before
        reason = exceeded_reason(receives)
        if written:
            reason += f"; an earlier dead-lettering said: {written}"
    else:
        receives = recorded if recorded is not None else before
        reason = written
    sent = _int(system.get("SentTimestamp"))
    body: str = raw.get("Body", "")
    event = _envelope_fields(body)
    version = event.get("version")
    return DeadLetter(
        message_id=raw["MessageId"],
        receives=receives,
        reason=reason,
        sent_at=datetime.fromtimestamp(sent / 1000, UTC) if sent is not None else None,
        event_type=_str(event.get("type")) or attributes.get("event_type"),
        event_version=version if isinstance(version, int) else None,
        event_id=_str(event.get("id")),
        correlation_id=_str(event.get("correlation_id")),
        body=body,
        attributes=attributes,
    )


def _envelope_fields(body: str) -> dict[str, Any]:
    """The envelope's fields if the body looks like one; lenient, as poison is often invalid."""
    try:
        document = parse_json(body)
    except NotJson:
        return {}
    return document if isinstance(document, dict) else {}


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


async def peek(
    sqs: Any,
    dlq_url: str,
    *,
    limit: int = 10,
    visibility: int = PEEK_VISIBILITY_SECONDS,
    wait_seconds: int = 1,
) -> list[DeadLetter]:
    """Up to `limit` messages of the DLQ, all handed back (visibility 0) before returning."""
    seen: dict[str, DeadLetter] = {}
    held: list[str] = []
    try:
        while len(seen) < limit:
            response = await sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=visibility,
                WaitTimeSeconds=wait_seconds,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            for raw in messages:
                held.append(raw["ReceiptHandle"])
                seen.setdefault(raw["MessageId"], describe(raw))
    finally:
        await asyncio.shield(release(sqs, dlq_url, held))
    return list(seen.values())[:limit]


async def release(sqs: Any, url: str, receipt_handles: Sequence[str]) -> int:
    """Make messages visible again at once; returns how many could not be (they reappear when
    their visibility timeout runs out)."""
    unreleased = 0
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        entries = [
            {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
            for index, handle in enumerate(chunk)
        ]
        try:
            response = await sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
        except (ClientError, BotoCoreError):
            unreleased += len(chunk)
            continue
        unreleased += len(response.get("Failed", []))
    return unreleased


# --- redrive -------------------------------------------------------------------------------


@dataclass
class RedriveResult:
    method: Literal["move-task", "manual"]
    moved: int = 0
    failed: int = 0
    """Messages that could not be sent to the source queue; they stay in the DLQ."""
    undeleted: int = 0
    """Sent to the source queue, but still in the DLQ (a delete failed): a later redrive would
    deliver them a second time, which consumers tolerate."""
    note: str | None = None


async def redrive(
    sqs: Any,
    pair: DlqPair,
    *,
    method: Method = "auto",
    limit: int | None = None,
    progress: Progress | None = None,
    poll_seconds: float = 1.0,
    max_wait_seconds: float = 3600.0,
) -> RedriveResult:
    """Move the DLQ's messages back to the source queue.

    `auto` uses `StartMessageMoveTask` where the endpoint has it and the manual path otherwise;
    `limit` (manual path only) caps how many are moved.
    """
    say = progress or _silent
    if method == "move-task" and limit is not None:
        raise RedriveError("a message move task moves everything: --limit needs --method manual")
    if method == "manual" or limit is not None:
        return await redrive_manually(sqs, pair, limit=limit, progress=say)
    depth = await queue_depth(sqs, pair.dlq_url)
    if depth.total == 0:
        say(f"{pair.dlq_name} is empty: nothing to move")
        return RedriveResult("move-task" if method == "move-task" else "manual", note="empty")
    started = await _start_move_task(sqs, pair)
    if isinstance(started, str):
        if method == "move-task":
            raise RedriveError(f"this endpoint has no StartMessageMoveTask: {started}")
        say(f"StartMessageMoveTask is not available here ({started}); moving messages by hand")
        result = await redrive_manually(sqs, pair, limit=limit, progress=say)
        result.note = f"StartMessageMoveTask not available: {started}"
        return result
    return await _follow_move_task(sqs, pair, started, say, poll_seconds, max_wait_seconds)


@contextlib.asynccontextmanager
async def _single_attempt_client(sqs: Any) -> AsyncIterator[Any]:
    """An SQS client like `sqs` that makes one attempt per call: an endpoint without
    StartMessageMoveTask answers a 500 that the workers' retry policy would retry for ~25 s."""
    config = client_config(pool_size=2).merge(
        AioConfig(retries={"max_attempts": 1, "mode": "standard"})
    )
    context = get_session().create_client(
        "sqs",
        region_name=sqs.meta.region_name,
        endpoint_url=sqs.meta.endpoint_url,
        config=config,
    )
    async with context as client:
        yield client


async def _start_move_task(sqs: Any, pair: DlqPair) -> str | dict[str, Any]:
    """The started task (its handle), or why the endpoint cannot run one."""
    async with _single_attempt_client(sqs) as once:
        try:
            started: dict[str, Any] = await once.start_message_move_task(
                SourceArn=pair.dlq_arn, DestinationArn=pair.source_arn
            )
        except ClientError as error:
            # A task already running is refused too: never start moving by hand beside it.
            running = await _running_task(once, pair)
            if running is not None:
                raise RedriveError(
                    f"a message move task is already running on {pair.dlq_name} "
                    f"({running.get('ApproximateNumberOfMessagesMoved', 0)} of "
                    f"{running.get('ApproximateNumberOfMessagesToMove', '?')} moved)"
                ) from error
            if move_task_unsupported(error):
                status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                return f"HTTP {status}, code {_code(error)!r}"
            raise RedriveError(f"StartMessageMoveTask failed: {error}") from error
    return started


def move_task_unsupported(error: ClientError) -> bool:
    """Whether an error from StartMessageMoveTask means the endpoint does not implement it."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return _code(error) in _UNSUPPORTED_CODES or status == 501


async def _running_task(sqs: Any, pair: DlqPair) -> dict[str, Any] | None:
    try:
        results = (await sqs.list_message_move_tasks(SourceArn=pair.dlq_arn, MaxResults=10))[
            "Results"
        ]
    except ClientError:
        return None
    for task in results:
        if task.get("Status") == "RUNNING":
            found: dict[str, Any] = task
            return found
    return None


async def _follow_move_task(
    sqs: Any,
    pair: DlqPair,
    started: dict[str, Any],
    say: Progress,
    poll_seconds: float,
    max_wait_seconds: float,
) -> RedriveResult:
    handle = started.get("TaskHandle")
    say(f"message move task started: {pair.dlq_name} -> {pair.source_name}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_seconds
    last = ""
    while True:
        results: list[dict[str, Any]] = (
            await sqs.list_message_move_tasks(SourceArn=pair.dlq_arn, MaxResults=10)
        )["Results"]
        # Only a running task carries its handle; once finished, ours is the most recent.
        task = next((t for t in results if handle and t.get("TaskHandle") == handle), None)
        if task is None and results:
            task = results[0]
        if task is not None:
            status = str(task.get("Status"))
            moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
            total = task.get("ApproximateNumberOfMessagesToMove")
            line = f"  {status.lower()}: {moved}/{total if total is not None else '?'} moved"
            if line != last:
                say(line)
                last = line
            if status == "FAILED":
                raise RedriveError(
                    f"the message move task failed after moving {moved}: "
                    f"{task.get('FailureReason', 'no reason given')}"
                )
            if status in FINISHED:
                return RedriveResult("move-task", moved=moved, note=status.lower())
        if loop.time() > deadline:
            raise RedriveError(
                f"the message move task is still running after {max_wait_seconds:.0f} s; it "
                "carries on in SQS (see `aws sqs list-message-move-tasks`)"
            )
        await asyncio.sleep(poll_seconds)


async def redrive_manually(
    sqs: Any,
    pair: DlqPair,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
    visibility: int = REDRIVE_VISIBILITY_SECONDS,
    wait_seconds: int = 1,
) -> RedriveResult:
    """Receive from the DLQ, send to the source queue, delete from the DLQ what was sent.

    Bounded by what the DLQ holds when it starts (or `limit`), so a message that fails again
    and comes straight back is not moved round and round.
    """
    say = progress or _silent
    result = RedriveResult("manual")
    budget = (await queue_depth(sqs, pair.dlq_url)).visible if limit is None else limit
    say(f"moving up to {budget} message(s): {pair.dlq_name} -> {pair.source_name}")
    empty_receives = 0
    held: list[str] = []
    try:
        while result.moved + result.failed < budget:
            response = await sqs.receive_message(
                QueueUrl=pair.dlq_url,
                MaxNumberOfMessages=min(10, budget - result.moved - result.failed),
                VisibilityTimeout=visibility,
                WaitTimeSeconds=wait_seconds,
                MessageSystemAttributeNames=["AWSTraceHeader"],
                MessageAttributeNames=["All"],
            )
            messages: list[dict[str, Any]] = response.get("Messages", [])
            if not messages:
                # Long polling answers empty only when nothing is visible anywhere; twice, to
                # be sure on a busy queue.
                empty_receives += 1
                if empty_receives >= 2:
                    break
                continue
            empty_receives = 0
            held = [raw["ReceiptHandle"] for raw in messages]
            sent, not_sent = await _send_to_source(sqs, pair.source_url, messages)
            result.undeleted += await _delete(sqs, pair.dlq_url, sent)
            result.moved += len(sent)
            if not_sent:
                result.failed += len(not_sent)
                await release(sqs, pair.dlq_url, not_sent)
            held = []
            say(f"  moved {result.moved}/{budget}")
    finally:
        if held:
            # Interrupted mid-batch: whatever was not sent is handed back (those that were
            # sent are in both queues until their visibility runs out: a duplicate, not a loss).
            await asyncio.shield(release(sqs, pair.dlq_url, held))
    return result


def resend_entry(raw: dict[str, Any], entry_id: str) -> dict[str, Any]:
    """A SendMessageBatch entry that carries a DLQ message back: its body, its own message
    attributes (not the consumer's dead-letter bookkeeping) and its trace header."""
    attributes: dict[str, dict[str, Any]] = {}
    for name, value in raw.get("MessageAttributes", {}).items():
        if name in BOOKKEEPING_ATTRIBUTES:
            continue
        kept = {
            key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value
        }
        attributes[name] = kept
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": raw["Body"]}
    if attributes:
        entry["MessageAttributes"] = attributes
    trace = raw.get("Attributes", {}).get("AWSTraceHeader")
    if trace:
        entry["MessageSystemAttributes"] = {
            "AWSTraceHeader": {"DataType": "String", "StringValue": trace}
        }
    return entry


async def _send_to_source(
    sqs: Any, url: str, messages: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Receipt handles of the messages sent, and of those that could not be."""
    entries = [resend_entry(raw, str(index)) for index, raw in enumerate(messages)]
    try:
        response = await sqs.send_message_batch(QueueUrl=url, Entries=entries)
    except ClientError as error:
        if not _code(error).endswith("BatchRequestTooLong"):
            raise
        return await _send_one_by_one(sqs, url, messages, entries)
    failed = {entry["Id"] for entry in response.get("Failed", [])}
    sent = [raw["ReceiptHandle"] for i, raw in enumerate(messages) if str(i) not in failed]
    not_sent = [raw["ReceiptHandle"] for i, raw in enumerate(messages) if str(i) in failed]
    return sent, not_sent


async def _send_one_by_one(
    sqs: Any, url: str, messages: list[dict[str, Any]], entries: list[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    sent: list[str] = []
    not_sent: list[str] = []
    for raw, entry in zip(messages, entries, strict=True):
        single = {key: value for key, value in entry.items() if key != "Id"}
        try:
            await sqs.send_message(QueueUrl=url, **single)
        except ClientError:
            not_sent.append(raw["ReceiptHandle"])
        else:
            sent.append(raw["ReceiptHandle"])
    return sent, not_sent


async def _delete(sqs: Any, url: str, receipt_handles: list[str], attempts: int = 3) -> int:
    """Delete from the DLQ; returns how many could not be deleted."""
    pending = list(receipt_handles)
    for attempt in range(attempts):
        if not pending:
            return 0
        entries = [{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(pending)]
        try:
            response = await sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        except (ClientError, BotoCoreError):
            failed_ids = {entry["Id"] for entry in entries}
        else:
            failed_ids = {entry["Id"] for entry in response.get("Failed", [])}
        pending = [handle for i, handle in enumerate(pending) if str(i) in failed_ids]
        if pending and attempt + 1 < attempts:
            await asyncio.sleep(0.2 * (attempt + 1))
    return len(pending)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _silent(_: str) -> None:
    pass
