"""Errors as `application/problem+json` documents (RFC 9457)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

PROBLEM_TYPE = "application/problem+json"


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    response = web.json_response(body, status=status, content_type=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def validation_problem(error: ValidationError) -> ProblemError:
    errors = [
        {
            "field": ".".join(str(part) for part in item["loc"]) or "body",
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors(include_url=False)
    ]
    return ProblemError(422, "Validation failed", "The request body is not valid.", errors=errors)
