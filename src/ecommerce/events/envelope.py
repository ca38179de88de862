"""The envelope every event travels in, and its strict parsing.

`id` is the idempotency key of the event; `correlation_id` is the order id, so that every
log line and trace of one order can be found together.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ecommerce.events.catalog import EVENT_MODELS


class PoisonMessage(Exception):
    """A message that can never be handled: not JSON, an unknown type or version, invalid."""


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    type: str
    version: int = 1
    occurred_at: datetime
    producer: str
    correlation_id: str
    causation_id: str | None = None
    payload: dict[str, Any]


def new_event(
    payload: BaseModel,
    *,
    producer: str,
    correlation_id: str,
    causation_id: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    event_type = type(payload).__name__
    if (event_type, 1) not in EVENT_MODELS:
        raise ValueError(f"{event_type} is not in the event catalog")
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        type=event_type,
        version=1,
        occurred_at=datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation_id,
        payload=payload.model_dump(mode="json"),
    )


def parse_envelope(body: str) -> Envelope:
    try:
        return Envelope.model_validate_json(body)
    except ValidationError as error:
        raise PoisonMessage(f"not a valid event envelope: {_brief(error)}") from error


def parse_payload(envelope: Envelope) -> BaseModel:
    model = EVENT_MODELS.get((envelope.type, envelope.version))
    if model is None:
        raise PoisonMessage(f"unknown event {envelope.type} v{envelope.version}")
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as error:
        raise PoisonMessage(f"invalid {envelope.type} payload: {_brief(error)}") from error


def _brief(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']} ({error.error_count()} error(s))"


_OUTCOME_NAMESPACE = uuid.UUID("5b0d7f3e-3a0c-4c55-9a57-7f1c2f0e2a11")


def outcome_id(cause_id: str, event_type: str) -> str:
    """A stable id for the event a handler emits in answer to `cause_id`.

    Redelivery makes a handler publish its outcome again; the same id lets every consumer
    see that it is the same event.
    """
    return str(uuid.uuid5(_OUTCOME_NAMESPACE, f"{cause_id}/{event_type}"))


def follow_up(payload: BaseModel, *, cause: Envelope, producer: str) -> Envelope:
    """The event a handler emits in answer to `cause`, with a stable id and the same order."""
    return new_event(
        payload,
        producer=producer,
        correlation_id=cause.correlation_id,
        causation_id=cause.id,
        event_id=outcome_id(cause.id, type(payload).__name__),
    )
