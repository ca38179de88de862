"""Publishes event envelopes to the domain-events SNS topic.

`event_type` travels as a message attribute (the queues' filter policies match on it); the
X-Ray trace header travels as the `trace_header` attribute and, through SQS, `AWSTraceHeader`.

With the development fault switch `ECOMMERCE_FAULT_DUPLICATE_RATE` (`platform.fault_switches`)
a fraction of the events is published twice, as SNS's at-least-once delivery may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ecommerce.events.envelope import Envelope
from ecommerce.platform.fault_switches import Faults, process_faults
from ecommerce.platform.logging import get_logger
from ecommerce.platform.tracing import current_trace_header

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient

log = get_logger("messaging.publisher")

BATCH = 10


@dataclass(frozen=True)
class Outgoing:
    id: str
    event_type: str
    body: str
    trace_header: str | None = None

    @classmethod
    def of(cls, event: Envelope, trace_header: str | None = None) -> Outgoing:
        return cls(event.id, event.type, event.model_dump_json(), trace_header)

    def attributes(self) -> dict[str, Any]:
        attributes = {"event_type": {"DataType": "String", "StringValue": self.event_type}}
        if self.trace_header:
            attributes["trace_header"] = {"DataType": "String", "StringValue": self.trace_header}
        return attributes


class Publisher(Protocol):
    """What a use case needs to send an event; `EventPublisher` is the SNS one."""

    async def publish(self, event: Envelope, trace_header: str | None = None) -> None: ...


class EventPublisher:
    def __init__(self, sns: SNSClient, topic_arn: str, faults: Faults | None = None) -> None:
        self._sns = sns
        self._topic_arn = topic_arn
        self._faults = faults or process_faults()

    async def publish(self, event: Envelope, trace_header: str | None = None) -> None:
        message = Outgoing.of(event, trace_header or current_trace_header())
        await self._publish(message)
        if await self._faults.duplicate():
            await self._duplicate([message])

    async def _publish(self, message: Outgoing) -> None:
        await self._sns.publish(
            TopicArn=self._topic_arn,
            Message=message.body,
            MessageAttributes=message.attributes(),
        )

    async def publish_batch(self, messages: list[Outgoing]) -> set[str]:
        """Publish up to 10 messages in one call; returns the ids that failed."""
        if not messages:
            return set()
        if len(messages) > BATCH:
            raise ValueError(f"at most {BATCH} messages a batch")
        failed = await self._publish_batch(messages)
        again = [m for m in messages if m.id not in failed and await self._faults.duplicate()]
        if again:
            await self._duplicate(again)
        return failed

    async def _publish_batch(self, messages: list[Outgoing]) -> set[str]:
        by_entry = {f"m{index}": message for index, message in enumerate(messages)}
        response = await self._sns.publish_batch(
            TopicArn=self._topic_arn,
            PublishBatchRequestEntries=[
                {"Id": entry, "Message": m.body, "MessageAttributes": m.attributes()}
                for entry, m in by_entry.items()
            ],
        )
        return {by_entry[failed["Id"]].id for failed in response.get("Failed", [])}

    async def _duplicate(self, messages: list[Outgoing]) -> None:
        """The fault switch's second copy; its failure is logged, never the caller's."""
        try:
            failed = await self._publish_batch(messages)
        except Exception as error:
            log.warning("fault_duplicate_failed", error=repr(error), count=len(messages))
            return
        published = [m for m in messages if m.id not in failed]
        for message in published:
            log.info("fault_duplicate_published", event_id=message.id, type=message.event_type)
