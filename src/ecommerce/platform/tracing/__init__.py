"""Tracing for every frontend and worker, through one small interface with two back ends.

One order is one trace: the HTTP request's trace header travels in the outbox row, through SNS
and SQS (`AWSTraceHeader`, or the `trace_header` message attribute), and each worker opens its
span for a message under that trace and passes it on in the events it emits.

`ECOMMERCE_TRACING` chooses the back end (docs/observability.md says when to switch):
`xray` (the default: the X-Ray SDK, segments to the X-Ray daemon) or `otel` (OpenTelemetry
with X-Ray's propagator and trace ids, OTLP/HTTP to an ADOT collector that writes to X-Ray).
Which traces are recorded is decided here, the same for both: `ecommerce.platform.sampling`'s
rules (`ECOMMERCE_TRACE_SAMPLING`) where a trace starts, the decision carried in its header
after that; a request or message that is not sampled records nothing and passes `Sampled=0`
on; one that fails is recorded all the same, as a span of its own with the error.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from ecommerce.platform import sampling
from ecommerce.platform.tracing.backend import (
    TRACE_HEADER,
    Backend,
    Span,
    SpanKind,
    TraceHeader,
)

TRACING_ENV = "ECOMMERCE_TRACING"
BACKENDS = ("xray", "otel")

_backend: Backend | None = None
_sampler: sampling.Sampler = sampling.Sampler()


def backend_choice(environ: dict[str, str] | None = None) -> str:
    """`xray` or `otel` from `ECOMMERCE_TRACING`; ValueError naming the setting otherwise."""
    value = (os.environ if environ is None else environ).get(TRACING_ENV, "").strip().lower()
    if value in ("", "xray"):
        return "xray"
    if value == "otel":
        return "otel"
    raise ValueError(f"{TRACING_ENV}={value!r}: set it to one of {', '.join(BACKENDS)}")


def configure_tracing(service: str) -> None:
    """Set up the chosen back end for this process; once, and not at all if it is disabled
    (`AWS_XRAY_SDK_ENABLED=false`, or `OTEL_SDK_DISABLED=true`)."""
    global _backend, _sampler
    if _backend is not None:
        return
    choice = backend_choice()
    _sampler = sampling.sampler_from_env()
    if choice == "otel":
        from ecommerce.platform.tracing import otel

        if otel.enabled():
            _backend = otel.OtelBackend.for_process(service)
        return
    from ecommerce.platform.tracing import xray

    if xray.enabled():
        _backend = xray.XRayBackend.for_process(service)


def is_configured() -> bool:
    return _backend is not None


def use(backend: Backend | None, sampler: sampling.Sampler | None = None) -> None:
    """Trace through `backend` from now on (tests; `configure_tracing` in a process)."""
    global _backend, _sampler
    _backend = backend
    if sampler is not None:
        _sampler = sampler


def _decide(trace: TraceHeader, service: str, method: str, path: str) -> bool:
    if trace.sampled is not None:
        return trace.sampled
    return _sampler.decide(service=service, method=method, path=path)


@web.middleware
async def http_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A span for the request if its trace is sampled (decided upstream, or here by the
    rules); else none, and one after the fact if the answer is a failure."""
    backend = _backend
    if backend is None:
        return await handler(request)
    trace = TraceHeader.parse(request.headers.get(TRACE_HEADER))
    sampled = _decide(trace, backend.service, request.method, request.path)
    started = time.time()
    span = backend.begin("server", backend.service, trace, sampled)
    _put_request(span, request)
    try:
        response = await handler(request)
    except BaseException as error:
        span.put_http(status=500)
        span.put_error(error)
        span.end()
        if not sampled:
            _failure(
                backend, "server", backend.service, span.root, trace, started, request, 500, error
            )
        raise
    span.put_http(status=response.status)
    span.end()
    if sampled:
        response.headers[TRACE_HEADER] = f"Root={span.root};Sampled=1"
    elif sampling.keep(False, sampling.failed_status(response.status)):
        _failure(
            backend, "server", backend.service, span.root, trace, started, request, response.status
        )
    return response


def _put_request(span: Span, request: web.Request) -> None:
    forwarded = request.headers.get("X-Forwarded-For")
    span.put_http(
        method=request.method, url=str(request.url), client_ip=forwarded or request.remote
    )


def _failure(
    backend: Backend,
    kind: SpanKind,
    name: str,
    root: str,
    trace: TraceHeader,
    started: float,
    request: web.Request | None,
    status: int | None,
    error: BaseException | None = None,
) -> None:
    """Record a failure of a trace that was not sampled: one span, with what went wrong."""
    span = backend.begin(kind, name, TraceHeader(root, trace.parent), True, started=started)
    if request is not None:
        _put_request(span, request)
    span.put_http(status=status)
    if error is not None:
        span.put_error(error)
    span.annotate({"kept_because": "failed"})
    span.end()


@asynccontextmanager
async def message_segment(name: str, trace_header: str | None) -> AsyncIterator[None]:
    """A span for handling one message, continuing the trace it arrived with, if that trace
    is sampled (a message with no decision is decided here); else none, and one if it fails."""
    backend = _backend
    if backend is None:
        yield
        return
    trace = TraceHeader.parse(trace_header)
    sampled = _decide(trace, name, "MESSAGE", "*")
    started = time.time()
    span = backend.begin("consumer", name, trace, sampled)
    try:
        yield
    except BaseException as error:
        span.put_error(error)
        span.end()
        if not sampled and isinstance(error, Exception):
            _failure(backend, "consumer", name, span.root, trace, started, None, None, error)
        raise
    span.end()


def current_trace_header() -> str | None:
    """`Root=...;Parent=...;Sampled=...` for the span now open, or for the unsampled trace
    being handled; None outside any trace."""
    return _backend.current_header() if _backend is not None else None


def annotate(**annotations: str) -> None:
    if _backend is not None:
        _backend.annotate(annotations)


@asynccontextmanager
async def subsegment(name: str, namespace: str = "local") -> AsyncIterator[None]:
    """Time a piece of work (a database transaction, say) inside the open span."""
    if _backend is None:
        yield
        return
    async with _backend.local(name, remote=namespace == "remote"):
        yield


def client_trace_configs() -> list[aiohttp.TraceConfig]:
    """aiohttp client hooks that record outgoing calls and pass the trace header on."""
    return _backend.client_trace_configs() if _backend is not None else []


class RelaySegments:
    """A span for each message a relay forwards (the outbox relay), each in the trace the
    message was stored with: `headers` are the trace headers to send the messages with, whose
    parent is the relay's span, so that what the consumers do hangs under the relay in the
    trace. `close()` ends and sends them; a message that could not be sent marks its span as a
    fault. Unsampled and untraced messages keep the header they had."""

    def __init__(self, name: str, trace_headers: list[str | None]) -> None:
        self._spans: list[Span | None] = []
        self.headers: list[str | None] = []
        for raw in trace_headers:
            trace = TraceHeader.parse(raw)
            if _backend is None or not trace.root or trace.sampled is not True:
                self._spans.append(None)
                self.headers.append(raw)
                continue
            span, header = _backend.forwarding(name, trace)
            self._spans.append(span)
            self.headers.append(header)

    def close(self, failed: set[int] | None = None) -> None:
        """End the spans and send them; `failed`: the indexes of the messages not sent."""
        for index, span in enumerate(self._spans):
            if span is None:
                continue
            if failed and index in failed:
                span.put_fault()
            span.end()
