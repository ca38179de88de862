"""Turns a queue message into an event and hands it to the handler registered for its payload.

Handlers are registered by payload class (`EventDispatcher().on(OrderPlaced, handler)`), so the
type checker sees that each handler takes the payload it is given. A worker's dispatcher must
handle exactly the events its queue is subscribed to in `resources.py`: `check_wiring` says
which differ, and the worker runtime refuses to start a consumer whose wiring is wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel

from ecommerce.events.catalog import EVENT_MODELS
from ecommerce.events.envelope import Envelope, PoisonMessage, parse_envelope, parse_payload
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.tracing import annotate
from ecommerce.resources import RESOURCES, Resources

P = TypeVar("P", bound=BaseModel)
EventHandler = Callable[[Envelope, P], Awaitable[object]]


class WiringError(Exception):
    """A worker's handlers and its queue's subscriptions are not the same set of events."""


class EventDispatcher:
    def __init__(self) -> None:
        self._handlers: dict[str, Callable[[Envelope, Any], Awaitable[object]]] = {}

    def on(self, payload: type[P], handler: EventHandler[P]) -> EventDispatcher:
        """Hand events whose payload is `payload` to `handler`; returns the dispatcher."""
        name = payload.__name__
        if EVENT_MODELS.get((name, 1)) is not payload:
            raise WiringError(f"{name} is not an event of the catalog (ecommerce.events)")
        if name in self._handlers:
            raise WiringError(f"{name} has two handlers")
        self._handlers[name] = handler
        return self

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def check_wiring(self, queue: str, resources: Resources = RESOURCES) -> None:
        """Raise `WiringError` unless the handlers are exactly the queue's subscriptions."""
        subscribed = frozenset(resources.queue(queue).event_types)
        problems = []
        if missing := sorted(subscribed - self.event_types):
            problems.append(f"subscribed but not handled: {', '.join(missing)}")
        if extra := sorted(self.event_types - subscribed):
            problems.append(f"handled but not subscribed: {', '.join(extra)}")
        if problems:
            raise WiringError(f"queue {queue}: {'; '.join(problems)} (see resources.py)")

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
