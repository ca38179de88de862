"""Checks of our own for schemathesis, loaded by `SCHEMATHESIS_HOOKS=schemathesis_checks`."""

from __future__ import annotations

from typing import Any

import schemathesis

PROBLEM_JSON = "application/problem+json"


@schemathesis.check
def problem_json_4xx(
    ctx: schemathesis.CheckContext,
    response: schemathesis.Response,
    case: schemathesis.Case[Any],
) -> bool | None:
    """Every 4xx answer is an RFC 9457 problem document."""
    if not 400 <= response.status_code < 500:
        return None
    values = response.headers.get("content-type") or response.headers.get("Content-Type") or []
    content_type = values[0] if values else ""
    if not content_type.startswith(PROBLEM_JSON):
        raise AssertionError(
            f"{response.status_code} answered with {content_type!r}, not {PROBLEM_JSON}"
        )
    return True
