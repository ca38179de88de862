"""Field types and schema adjustments that make a request model's JSON Schema say exactly what
the model accepts, so that a service's OpenAPI document is its validation, not a hint of it.

- `JsonInt`: JSON has one number type, and JSON Schema's `integer` is any number with no
  fraction, so `5.0` is the integer 5; `5.5`, `"5"` and `true` are not integers.
- `leave_out_or_value`: a field that may be left out but not sent as `null` documents the
  value's schema alone, without the `null` branch and the default that `X | None = None` give.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Strict
from pydantic.config import JsonDict


def _integral(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JSON_INTEGER = BeforeValidator(_integral)
"""With `Strict()`, after any `Field(ge=..., le=...)` in an `Annotated` (placed before it, the
bounds would not reach the JSON Schema as `minimum` and `maximum`)."""

JsonInt = Annotated[int, JSON_INTEGER, Strict()]
"""An integer as JSON Schema means it: 5 and 5.0, never 5.5, "5" or true. Bounds go on the
field: `quantity: JsonInt = Field(ge=1)`."""


def leave_out_or_value(schema: JsonDict) -> None:
    """`json_schema_extra` of an optional field whose validator refuses null."""
    branches = schema.pop("anyOf", None)
    if isinstance(branches, list):
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1 and isinstance(kept[0], dict):
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    schema.pop("default", None)
