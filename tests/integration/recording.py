"""A publisher that records instead of sending, for the use-case tests."""

from __future__ import annotations

from ecommerce.events import Envelope


class RecordingPublisher:
    """Keeps what a use case publishes, so a test can read it back."""

    def __init__(self) -> None:
        self.events: list[Envelope] = []

    async def publish(self, event: Envelope, trace_header: str | None = None) -> None:
        self.events.append(event)
