"""Request logging and problem documents for every route."""

from __future__ import annotations

import time
import uuid

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from ecommerce.platform.cursor import InvalidCursor
from ecommerce.platform.http.problems import ProblemError, problem_response, validation_problem
from ecommerce.platform.logging import get_logger
from ecommerce.platform.metrics import HttpMetrics
from ecommerce.platform.transient import is_transient

log = get_logger("http")


UNMEASURED = frozenset({"/healthz", "/readyz"})
HTTP_METRICS = web.AppKey("http_metrics", HttpMetrics)


def _route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    finally:
        latency_ms = (time.perf_counter() - started) * 1000
        metrics = request.app.get(HTTP_METRICS)
        if metrics is not None and request.path not in UNMEASURED:
            metrics.record(f"{request.method} {_route_of(request)}", status, latency_ms)
        log.info(
            "http_request",
            method=request.method,
            path=request.path,
            route=_route_of(request),
            status=status,
            duration_ms=round(latency_ms, 2),
        )
        structlog.contextvars.unbind_contextvars("request_id", "order_id", "user_id")


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ProblemError as error:
        return problem_response(
            error.status,
            error.title,
            error.detail,
            instance=request.path,
            headers=error.headers,
            **error.extra,
        )
    except InvalidCursor as error:  # any listing's `cursor` query parameter
        return problem_response(400, "Invalid cursor", str(error), instance=request.path)
    except ValidationError as error:
        problem = validation_problem(error)
        return problem_response(problem.status, problem.title, problem.detail, **problem.extra)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        # Keep what the error says (Allow, Retry-After, ...) but not its text/plain body's type.
        kept = {
            name: value
            for name, value in error.headers.items()
            if name.lower() not in ("content-type", "content-length")
        }
        return problem_response(error.status, error.reason, instance=request.path, headers=kept)
    except Exception as error:
        if is_transient(error):  # a dependency down for a moment: worth asking again
            log.warning("dependency_unavailable", path=request.path, error=repr(error))
            return problem_response(
                503,
                "Service Unavailable",
                "A service this request needs did not answer; retry shortly.",
                instance=request.path,
                headers={"Retry-After": "1"},
            )
        log.exception("unhandled_error", path=request.path)
        return problem_response(500, "Internal Server Error", instance=request.path)
