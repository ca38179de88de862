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
    model_config = ConfigDict(extra="forbid", frozen=True)

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
