"""Turns a queue message into an event and hands it to the handler for its type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from pydantic import BaseModel

from ecommerce.events.envelope import Envelope, PoisonMessage, parse_envelope, parse_payload
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.tracing import annotate

EventHandler = Callable[[Envelope, Any], Awaitable[object]]


class EventDispatcher:
    def __init__(self, handlers: Mapping[str, EventHandler]) -> None:
        self._handlers = dict(handlers)

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    async def __call__(self, message: Message) -> None:
        envelope = parse_envelope(message.body)
        structlog.contextvars.bind_contextvars(
            event_id=envelope.id, event_type=envelope.type, order_id=envelope.correlation_id
        )
        annotate(order_id=envelope.correlation_id, event_type=envelope.type, event_id=envelope.id)
        handler = self._handlers.get(envelope.type)
        if handler is None:
            raise PoisonMessage(f"no handler for {envelope.type} on this queue")
        payload: BaseModel = parse_payload(envelope)
        await handler(envelope, payload)
