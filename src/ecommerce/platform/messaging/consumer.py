"""The SQS consumer runtime every worker runs.

- One long-poll loop per queue (20 s, up to 10 messages) that receives only what it has room
  for: a full worker pushes back by not receiving.
- A receive that brought fewer than 10 is followed by a short pause (`receive_linger`, 0.1 s)
  before the next, so that at load a receive carries several messages rather than one; an empty
  long poll or a full receive is followed at once.
- Handled messages are deleted in coalesced `DeleteMessageBatch` calls (see `deleter`).
- A failed message is not deleted: its visibility is set to a jittered exponential backoff, so
  the delay lives in SQS, not in memory. On its last allowed receive it is moved to the DLQ
  with the reason; the queue's redrive policy is the safety net should the worker die.
- A transient failure (a dependency down: see `transient`) on the last receives before the
  DLQ sends the message again as a new one (a `transient_retries` attribute counts how often),
  up to `transient_requeues` times, so that an outage longer than the backoff does not
  dead-letter good messages.
- Poison messages (unparseable, unknown, invalid) go straight to the DLQ with the reason.
- A heartbeat keeps extending the visibility of every held message until it is done.
- `stop()` stops polling, lets in-flight handlers finish within the grace period, hands back
  the rest with visibility 0 and flushes the deletes.
- With the development fault switch `ECOMMERCE_FAULT_SLOW_HANDLER_RATE`
  (`platform.fault_switches`) a fraction of the messages outsleeps a short visibility timeout
  with no heartbeat before it is handled, so SQS delivers it again while this run goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from ecommerce.events.envelope import PoisonMessage
from ecommerce.platform.aws import LONG_POLL_SECONDS
from ecommerce.platform.fault_switches import OVERSLEEP_SECONDS, Faults, process_faults
from ecommerce.platform.faults import crash_point
from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.backoff import retry_delay
from ecommerce.platform.messaging.deleter import BatchDeleter
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.metrics import QueueMetrics, flush_every
from ecommerce.platform.transient import is_transient

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef

log = get_logger("messaging.consumer")

Handler = Callable[[Message], Awaitable[None]]
RECEIVE_BATCH = 10
"""SQS's most messages a receive."""
TRANSIENT_RETRIES = "transient_retries"
"""The message attribute counting how often a message was sent again after transient failures."""
MAX_REQUEUE_DELAY = 60


@dataclass(frozen=True)
class QueueConfig:
    name: str
    url: str
    dlq_url: str
    visibility_timeout: int
    max_receive_count: int


@dataclass
class ConsumerOptions:
    concurrency: int = 20
    handler_timeout: float = 25.0
    grace_seconds: float = 20.0
    wait_seconds: int = LONG_POLL_SECONDS
    heartbeat_fraction: float = 1 / 3
    receive_linger: float = 0.1
    """Pause after a receive of 1 to 9 messages, so that the next carries more."""
    transient_requeues: int = 6
    """How often a message failing only transiently is sent again rather than dead-lettered."""


@dataclass
class _Held:
    message: Message
    task: asyncio.Task[None] | None = None
    started: bool = False
    heartbeat: bool = True
    """False for a message the slow-handler fault lets become visible again while it runs."""
    extended_at: float = field(default_factory=time.monotonic)


class Consumer:
    def __init__(
        self,
        sqs: SQSClient,
        queue: QueueConfig,
        handler: Handler,
        options: ConsumerOptions | None = None,
        metrics: QueueMetrics | None = None,
        faults: Faults | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue = queue
        self._handler = handler
        self._options = options or ConsumerOptions()
        self._metrics = metrics or QueueMetrics(queue.name)
        self._faults = faults or process_faults()
        self._held: dict[str, _Held] = {}
        self._slots = asyncio.Semaphore(self._options.concurrency)
        self._stopping = asyncio.Event()
        self._deleter = BatchDeleter(sqs, queue.url, busy=self._others_in_flight)
        self.api_calls = 0

    @property
    def held(self) -> int:
        return len(self._held)

    def _others_in_flight(self) -> bool:
        """Whether a message other than the one being deleted is still held."""
        return len(self._held) > 1

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._deleter.start()
        heartbeat = asyncio.create_task(self._heartbeat(), name="sqs-heartbeat")
        poller = asyncio.create_task(self._poll(), name=f"sqs-poll-{self._queue.name}")
        flushing = asyncio.create_task(flush_every(self._metrics), name="metrics-flush")
        await self._stopping.wait()
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await self._drain()
        for task in (heartbeat, flushing):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._deleter.close()
        self._metrics.flush()
        log.info("consumer_stopped", queue=self._queue.name)

    async def _poll(self) -> None:
        # Hold up to one receive's worth beyond the handlers' slots, and receive only a whole
        # one: when handlers finish one by one, receiving as soon as one slot is free makes
        # receives of 1-3 messages. The buffered ones are heartbeated and handed back on stop
        # like any other unstarted message.
        capacity = self._options.concurrency + RECEIVE_BATCH
        while not self._stopping.is_set():
            room = capacity - len(self._held)
            if room < RECEIVE_BATCH:
                await self._wait_for_room()
                continue
            try:
                self.api_calls += 1
                response = await self._sqs.receive_message(
                    QueueUrl=self._queue.url,
                    MaxNumberOfMessages=RECEIVE_BATCH,
                    WaitTimeSeconds=self._options.wait_seconds,
                    VisibilityTimeout=self._queue.visibility_timeout,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("receive_error", queue=self._queue.name, error=repr(error))
                await asyncio.sleep(1)
                continue
            now = time.monotonic()
            received = response.get("Messages", [])
            for raw in received:
                message = Message.from_sqs(raw)
                message.visible_until = now + self._queue.visibility_timeout
                held = _Held(message)
                self._held[message.receipt_handle] = held
                self._metrics.received(message.age_ms(time.time() * 1000))
                held.task = asyncio.create_task(self._process(held))
            if 0 < len(received) < RECEIVE_BATCH and self._options.receive_linger > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), timeout=self._options.receive_linger
                    )

    async def _wait_for_room(self) -> None:
        tasks = [h.task for h in self._held.values() if h.task is not None]
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)

    async def _process(self, held: _Held) -> None:
        message = held.message
        async with self._slots:
            if self._stopping.is_set():
                return  # handed back in _drain
            held.started = True
            structlog.contextvars.bind_contextvars(
                message_id=message.message_id, queue=self._queue.name
            )
            started = time.perf_counter()
            slow = await self._faults.slow_handler_seconds()
            if slow is not None:
                await self._outsleep_visibility(held, slow)
            try:
                async with asyncio.timeout(self._options.handler_timeout):
                    await self._handler(message)
            except PoisonMessage as error:
                await self._dead_letter(message, f"poison: {error}")
            except Exception as error:
                await self._failed(message, error)
            else:
                crash_point("before_delete")
                self._deleter.delete(message.receipt_handle)
                latency_ms = (time.perf_counter() - started) * 1000
                self._metrics.succeeded(latency_ms)
                log.info(
                    "message_handled",
                    receive_count=message.receive_count,
                    duration_ms=round(latency_ms, 2),
                )
            finally:
                self._held.pop(message.receipt_handle, None)

    async def _outsleep_visibility(self, held: _Held, seconds: int) -> None:
        """The slow-handler fault: a short visibility timeout, no heartbeat, and a sleep past
        it, so the message is received again (here or by another replica) meanwhile."""
        held.heartbeat = False
        await self._change_visibility(held.message.receipt_handle, seconds)
        log.warning(
            "fault_slow_handler",
            visibility_seconds=seconds,
            sleep_seconds=seconds + OVERSLEEP_SECONDS,
            receive_count=held.message.receive_count,
        )
        await asyncio.sleep(seconds + OVERSLEEP_SECONDS)

    async def _failed(self, message: Message, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        # Requeue one receive before the last, so that a send that fails too (the endpoint
        # itself down) still leaves a receive before the redrive policy moves the message.
        requeued = _count(message.attributes.get(TRANSIENT_RETRIES))
        if (
            is_transient(error)
            and message.receive_count >= self._queue.max_receive_count - 1
            and requeued < self._options.transient_requeues
            and await self._requeue(message, requeued + 1, reason)
        ):
            return
        if message.receive_count >= self._queue.max_receive_count:
            also = f" (after {requeued} transient requeue(s))" if requeued else ""
            await self._dead_letter(
                message, f"failed {message.receive_count} times{also}: {reason}"
            )
            return
        delay = retry_delay(message.receive_count)
        self._metrics.failed()
        log.warning(
            "message_failed",
            reason=reason,
            receive_count=message.receive_count,
            retry_in_seconds=delay,
            transient=is_transient(error),
            # A dependency away or another delivery's lease says all in its reason; a
            # traceback is for what may be a bug.
            exc_info=not is_transient(error),
        )
        await self._change_visibility(message.receipt_handle, delay)
        self._metrics.retried()

    async def _requeue(self, message: Message, retries: int, reason: str) -> bool:
        """Send the message again as a new one (receive count 1), then delete this one."""
        attributes: dict[str, Any] = {
            TRANSIENT_RETRIES: {"DataType": "Number", "StringValue": str(retries)}
        }
        for name, value in message.attributes.items():
            if value and name not in attributes:
                attributes[name] = {"DataType": "String", "StringValue": value}
        request: dict[str, Any] = {
            "QueueUrl": self._queue.url,
            "MessageBody": message.body,
            "MessageAttributes": dict(list(attributes.items())[:10]),
            "DelaySeconds": min(MAX_REQUEUE_DELAY, retry_delay(message.receive_count)),
        }
        if message.trace_header:
            request["MessageSystemAttributes"] = {
                "AWSTraceHeader": {"DataType": "String", "StringValue": message.trace_header}
            }
        try:
            self.api_calls += 1
            await self._sqs.send_message(**request)
        except Exception as send_error:
            log.warning("requeue_failed", error=repr(send_error))
            return False
        self._deleter.delete(message.receipt_handle)
        self._metrics.retried()
        log.warning(
            "message_requeued",
            reason=reason,
            receive_count=message.receive_count,
            transient_retries=retries,
            retry_in_seconds=request["DelaySeconds"],
        )
        return True

    async def _dead_letter(self, message: Message, reason: str) -> None:
        """Move a message to the DLQ with the reason, then delete it from the source queue."""
        self._metrics.dead_lettered()
        log.error("message_dead_lettered", reason=reason, receive_count=message.receive_count)
        # SQS takes 10 attributes at most: the reason comes first so it is never the one lost.
        attributes: dict[str, Any] = {
            "failure_reason": {"DataType": "String", "StringValue": reason[:1000]},
            "source_queue": {"DataType": "String", "StringValue": self._queue.name},
            "receive_count": {"DataType": "Number", "StringValue": str(message.receive_count)},
        }
        for name, value in message.attributes.items():
            if value and name not in attributes:
                attributes[name] = {"DataType": "String", "StringValue": value}
        try:
            self.api_calls += 1
            await self._sqs.send_message(
                QueueUrl=self._queue.dlq_url,
                MessageBody=message.body or "(empty)",
                MessageAttributes=dict(list(attributes.items())[:10]),
            )
        except Exception as error:
            # The redrive policy will move it once its receives run out.
            log.error("dead_letter_send_failed", error=repr(error))
            await self._change_visibility(message.receipt_handle, retry_delay(1))
            return
        self._deleter.delete(message.receipt_handle)

    async def _change_visibility(self, receipt_handle: str, seconds: int) -> None:
        try:
            self.api_calls += 1
            await self._sqs.change_message_visibility(
                QueueUrl=self._queue.url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except Exception as error:
            log.warning("change_visibility_failed", error=repr(error))

    async def _heartbeat(self) -> None:
        timeout = self._queue.visibility_timeout
        interval = max(1.0, timeout * self._options.heartbeat_fraction)
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            due = [
                h
                for h in self._held.values()
                if h.heartbeat and h.message.visible_until - now < interval
            ]
            for start in range(0, len(due), 10):
                await self._extend(due[start : start + 10], timeout, now)

    async def _extend(self, batch: list[_Held], seconds: int, now: float) -> None:
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {"Id": str(i), "ReceiptHandle": h.message.receipt_handle, "VisibilityTimeout": seconds}
            for i, h in enumerate(batch)
        ]
        try:
            self.api_calls += 1
            response = await self._sqs.change_message_visibility_batch(
                QueueUrl=self._queue.url, Entries=entries
            )
        except Exception as error:
            log.warning("heartbeat_failed", error=repr(error))
            return
        failed = {entry["Id"] for entry in response.get("Failed", [])}
        for i, held in enumerate(batch):
            if str(i) not in failed:
                held.message.visible_until = now + seconds

    async def _drain(self) -> None:
        """Finish started handlers within the grace period; hand back everything else."""
        running = [h.task for h in self._held.values() if h.task is not None and h.started]
        if running:
            log.info("draining", in_flight=len(running), grace_seconds=self._options.grace_seconds)
            _, pending = await asyncio.wait(running, timeout=self._options.grace_seconds)
        else:
            pending = set()
        # Whatever is still held now is either unstarted or over the grace period.
        left = list(self._held.values())
        for held in left:
            if held.task is not None and not held.task.done():
                held.task.cancel()
        if pending:
            log.warning("grace_period_exceeded", cancelled=len(pending))
            await asyncio.wait(pending, timeout=2)
        await self._release([h.message.receipt_handle for h in left])

    async def _release(self, receipt_handles: list[str]) -> None:
        for start in range(0, len(receipt_handles), 10):
            chunk = receipt_handles[start : start + 10]
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(chunk)
            ]
            try:
                self.api_calls += 1
                await self._sqs.change_message_visibility_batch(
                    QueueUrl=self._queue.url, Entries=entries
                )
            except Exception as error:
                log.warning("release_failed", error=repr(error))
        if receipt_handles:
            log.info("released_unstarted", count=len(receipt_handles))


def _count(value: str | None) -> int:
    try:
        return max(0, int(value)) if value else 0
    except ValueError:
        return 0
