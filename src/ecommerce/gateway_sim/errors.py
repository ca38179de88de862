"""Stripe-shaped JSON responses and errors: `{"error": {"type", "code", "message", ...}}`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

JSONObject = dict[str, Any]


def json_response(
    payload: Mapping[str, Any], *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    # Serialised once, to bytes: an idempotent replay sends exactly these bytes again.
    body = json.dumps(payload, indent=2).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


class StripeError(Exception):
    """An API error. Raised before an endpoint executes (so it is not kept under an
    idempotency key), or rendered with `.response()` by an endpoint that executed."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def payload(self) -> JSONObject:
        error: JSONObject = {"type": self.type, "message": self.message}
        for name in ("code", "decline_code", "param"):
            value = getattr(self, name)
            if value is not None:
                error[name] = value
        if self.code is not None:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}

    def response(self) -> web.Response:
        return json_response(self.payload(), status=self.status, headers=self.headers)


def invalid_request(
    message: str, *, code: str | None = None, param: str | None = None, status: int = 400
) -> StripeError:
    return StripeError(status, "invalid_request_error", message, code=code, param=param)


def no_such(kind: str, object_id: str, *, param: str, status: int = 400) -> StripeError:
    return invalid_request(
        f"No such {kind}: '{object_id}'", code="resource_missing", param=param, status=status
    )
