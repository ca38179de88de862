"""A received SQS message, with what the runtime needs to know about it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Message:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    sent_at_ms: int | None
    attributes: dict[str, str]
    trace_header: str | None
    received_at: float = field(default_factory=time.monotonic)
    visible_until: float = 0.0

    @classmethod
    def from_sqs(cls, raw: Mapping[str, Any]) -> Message:
        system = raw.get("Attributes", {})
        attributes = {
            name: value.get("StringValue", "")
            for name, value in raw.get("MessageAttributes", {}).items()
        }
        sent = system.get("SentTimestamp")
        return cls(
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            body=raw.get("Body", ""),
            receive_count=int(system.get("ApproximateReceiveCount", "1")),
            sent_at_ms=int(sent) if sent else None,
            attributes=attributes,
            trace_header=system.get("AWSTraceHeader") or attributes.get("trace_header"),
        )

    def age_ms(self, now_ms: float) -> float | None:
        return None if self.sent_at_ms is None else max(0.0, now_ms - self.sent_at_ms)
