"""Reading request bodies and parameters into pydantic models, with 4xx problems on bad input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from ecommerce.platform.http.openapi import Param
from ecommerce.platform.http.problems import ProblemError, validation_problem
from ecommerce.platform.json_text import NotJson, parse_json

Model = TypeVar("Model", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024


async def read_json(request: web.Request, model: type[Model]) -> Model:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ProblemError(413, "Request body too large")
    raw = await request.read()
    if len(raw) > MAX_BODY_BYTES:
        raise ProblemError(413, "Request body too large")
    try:
        data = parse_json(raw or b"null")
    except NotJson as error:
        raise ProblemError(400, "Malformed JSON", str(error)) from error
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(error) from error


_INTEGER = re.compile(r"-?[0-9]{1,20}")
"""A query parameter the document types as `integer`: ASCII digits, an optional minus (not
`+5`, ` 5`, `5_0` or other scripts' digits, which Python's `int` would take)."""


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    value = int(raw) if _INTEGER.fullmatch(raw) else lo - 1
    if not lo <= value <= hi:
        raise ProblemError(
            400, "Invalid query parameter", f"{name} must be an integer from {lo} to {hi}"
        )
    return value


@dataclass(frozen=True)
class IntQuery:
    """An integer query parameter: what the handler reads and what the document says, from the
    same bounds."""

    name: str
    default: int
    lo: int
    hi: int
    description: str = ""

    @property
    def param(self) -> Param:
        return Param(
            self.name,
            "query",
            self.description or f"{self.lo} to {self.hi} (default {self.default})",
            schema={"type": "integer", "minimum": self.lo, "maximum": self.hi},
        )

    def read(self, request: web.Request) -> int:
        return query_int(request, self.name, self.default, self.lo, self.hi)
