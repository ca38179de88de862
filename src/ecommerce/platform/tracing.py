"""AWS X-Ray tracing for every frontend and worker.

One order is one trace: the HTTP request's segment id travels in the outbox row, through SNS
and SQS (`AWSTraceHeader`, or the `trace_header` message attribute), and each worker opens its
segment for a message under that trace and passes it on in the events it emits.

Segments go to the X-Ray daemon at `AWS_XRAY_DAEMON_ADDRESS` (the DaemonSet in EKS; a local
stand-in in `ecommerce dev`). Which traces are recorded is `ecommerce.platform.sampling`'s
decision (rules, `ECOMMERCE_TRACE_SAMPLING`), taken where a trace starts and carried in its
header: a request or message that is not sampled builds no segment at all, and passes
`Sampled=0` on; one that fails is recorded all the same, as a segment of its own with the error.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import patch, xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.models import http
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.trace_header import TraceHeader
from aws_xray_sdk.core.models.traceid import TraceId
from aws_xray_sdk.core.utils import stacktrace

from ecommerce.platform import sampling

_configured = False
_sampler: sampling.Sampler = sampling.Sampler()
_unsampled: ContextVar[TraceHeader | None] = ContextVar("unsampled_trace", default=None)
"""The trace a request or message belongs to when it is not sampled (no segment exists)."""


class _TaskLocal:
    """Per-task storage on a ContextVar: a task sees what its creator had, and its own changes
    stay its own (copy on write), so concurrent messages never share a segment."""

    def __init__(self) -> None:
        object.__setattr__(self, "_var", ContextVar("xray_entities", default=None))

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_var").get() or {}
        if name not in values:
            raise AttributeError(name)
        return values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        var = object.__getattribute__(self, "_var")
        var.set({**(var.get() or {}), name: value})

    def reset(self) -> None:
        object.__getattribute__(self, "_var").set({})


class TaskContext(Context):  # type: ignore[misc]
    def __init__(self, context_missing: str = "IGNORE_ERROR") -> None:
        super().__init__(context_missing=context_missing)
        self._local = _TaskLocal()

    def put_subsegment(self, subsegment: Any) -> None:
        entity = self.get_trace_entity()
        if not entity:
            return
        entity.add_subsegment(subsegment)
        self._local.entities = [*self._local.entities, subsegment]

    def end_subsegment(self, end_time: float | None = None) -> bool:
        entity = self.get_trace_entity()
        if self._is_subsegment(entity):
            entity.close(end_time)
            self._local.entities = self._local.entities[:-1]
            return True
        return False

    def clear_trace_entities(self) -> None:
        self._local.reset()


def is_configured() -> bool:
    return _configured


def enabled() -> bool:
    return bool(global_sdk_config.sdk_enabled())


def configure_tracing(service: str) -> None:
    """Configure the recorder and record aiobotocore calls; once per process."""
    global _configured, _sampler
    if _configured or not enabled():
        return
    _sampler = sampling.sampler_from_env()
    xray_recorder.configure(
        service=service,
        sampling=False,  # every decision is `_sampler`'s, handed to begin_segment
        context_missing="IGNORE_ERROR",
        context=TaskContext(),
        plugins=(),
        streaming_threshold=50,
    )
    patch(["aiobotocore"])
    _configured = True


def _decision(header: TraceHeader | None) -> int | None:
    return header.sampled if header is not None and header.sampled in (0, 1) else None


@web.middleware
async def http_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A segment for the request if its trace is sampled (decided upstream, or here by the
    rules); else none, and one after the fact if the answer is a failure."""
    raw = request.headers.get(http.XRAY_HEADER)
    incoming = TraceHeader.from_header_str(raw) if raw else None
    root = incoming.root if incoming is not None and incoming.root else TraceId().to_id()
    parent = incoming.parent if incoming is not None else None
    decided = _decision(incoming)
    sampled = (
        decided == 1
        if decided is not None
        else _sampler.decide(
            service=xray_recorder.service, method=request.method, path=request.path
        )
    )
    if sampled:
        return await _traced(request, handler, root, parent)
    token = _unsampled.set(TraceHeader(root=root, parent=parent, sampled=0))
    started = time.time()
    try:
        response = await handler(request)
    except BaseException as error:
        _failure_segment(xray_recorder.service, root, parent, started, request, 500, error)
        raise
    finally:
        _unsampled.reset(token)
    if sampling.keep(False, sampling.failed_status(response.status)):
        _failure_segment(xray_recorder.service, root, parent, started, request, response.status)
    return response


async def _traced(
    request: web.Request, handler: Handler, root: str, parent: str | None
) -> web.StreamResponse:
    segment = xray_recorder.begin_segment(
        name=xray_recorder.service, traceid=root, parent_id=parent, sampling=1
    )
    _request_meta(segment, request)
    try:
        response = await handler(request)
    except BaseException as error:
        segment.put_http_meta(http.STATUS, 500)
        segment.add_exception(error, stacktrace.get_stacktrace(limit=10))
        raise
    else:
        segment.put_http_meta(http.STATUS, response.status)
        response.headers[http.XRAY_HEADER] = f"Root={root};Sampled=1"
        return response
    finally:
        xray_recorder.end_segment()


def _request_meta(segment: Any, request: web.Request) -> None:
    segment.put_http_meta(http.URL, str(request.url))
    segment.put_http_meta(http.METHOD, request.method)
    forwarded = request.headers.get("X-Forwarded-For")
    segment.put_http_meta(http.CLIENT_IP, forwarded or request.remote)


def _failure_segment(
    name: str,
    root: str,
    parent: str | None,
    started: float,
    request: web.Request | None,
    status: int | None,
    error: BaseException | None = None,
) -> None:
    """Record a failure of a trace that was not sampled: one segment, with what went wrong."""
    segment = xray_recorder.begin_segment(name=name, traceid=root, parent_id=parent, sampling=1)
    segment.start_time = started
    if request is not None:
        _request_meta(segment, request)
    if status is not None:
        segment.put_http_meta(http.STATUS, status)
    if error is not None:
        segment.add_exception(error, stacktrace.get_stacktrace(limit=10))
    segment.put_annotation("kept_because", "failed")
    xray_recorder.end_segment()


def current_trace_header() -> str | None:
    """`Root=...;Parent=...;Sampled=...` for the segment or subsegment now open, or for the
    unsampled trace being handled; None outside any trace."""
    if not enabled() or not _configured:
        return None
    entity = xray_recorder.context.get_trace_entity()
    if entity is None or not getattr(entity, "trace_id", None):
        unsampled = _unsampled.get()
        return str(unsampled.to_header_str()) if unsampled is not None else None
    sampled = 1 if getattr(entity, "sampled", False) else 0
    return str(TraceHeader(root=entity.trace_id, parent=entity.id, sampled=sampled).to_header_str())


def annotate(**annotations: str) -> None:
    if not _configured:
        return
    entity = xray_recorder.context.get_trace_entity()
    if entity is not None and hasattr(entity, "put_annotation"):
        for key, value in annotations.items():
            entity.put_annotation(key, value)


@asynccontextmanager
async def message_segment(name: str, trace_header: str | None) -> AsyncIterator[None]:
    """A segment for handling one message, continuing the trace it arrived with, if that trace
    is sampled (a message with no decision is decided here); else none, and one if it fails."""
    if not _configured:
        yield
        return
    header = TraceHeader.from_header_str(trace_header) if trace_header else None
    xray_recorder.context.clear_trace_entities()
    root = header.root if header is not None and header.root else TraceId().to_id()
    parent = header.parent if header is not None else None
    decided = _decision(header)
    sampled = (
        decided == 1
        if decided is not None
        else _sampler.decide(service=name, method="MESSAGE", path="*")
    )
    if not sampled:
        token = _unsampled.set(TraceHeader(root=root, parent=parent, sampled=0))
        started = time.time()
        try:
            yield
        except Exception as error:
            _failure_segment(name, root, parent, started, None, None, error)
            raise
        finally:
            _unsampled.reset(token)
        return
    segment = xray_recorder.begin_segment(name=name, traceid=root, parent_id=parent, sampling=1)
    try:
        yield
    except BaseException as error:
        segment.add_exception(error, [])
        raise
    finally:
        xray_recorder.end_segment()


@asynccontextmanager
async def subsegment(name: str, namespace: str = "local") -> AsyncIterator[None]:
    """Time a piece of work (a database transaction, say) inside the open segment."""
    if not _configured or xray_recorder.context.get_trace_entity() is None:
        yield
        return
    xray_recorder.begin_subsegment(name, namespace)
    try:
        yield
    finally:
        xray_recorder.end_subsegment()


def client_trace_configs() -> list[Any]:
    """aiohttp client hooks that record outgoing calls and pass the trace header on."""
    if not _configured:
        return []
    from aws_xray_sdk.ext.aiohttp.client import aws_xray_trace_config

    return [aws_xray_trace_config()]


class RelaySegments:
    """A segment for each message a relay forwards (the outbox relay), each in the trace the
    message was stored with: `headers` are the trace headers to send the messages with, whose
    parent is the relay's segment, so that what the consumers do hangs under the relay in the
    trace. `close()` ends and sends them; a message that could not be sent marks its segment
    as a fault. Unsampled and untraced messages keep the header they had."""

    def __init__(self, name: str, trace_headers: list[str | None]) -> None:
        self._segments: list[Any | None] = []
        self.headers: list[str | None] = []
        for trace_header in trace_headers:
            header = TraceHeader.from_header_str(trace_header) if trace_header else None
            if not _configured or header is None or not header.root or header.sampled != 1:
                self._segments.append(None)
                self.headers.append(trace_header)
                continue
            segment = Segment(name, traceid=header.root, parent_id=header.parent, sampled=True)
            self._segments.append(segment)
            self.headers.append(
                str(TraceHeader(root=header.root, parent=segment.id, sampled=1).to_header_str())
            )

    def close(self, failed: set[int] | None = None) -> None:
        """End the segments and send them; `failed`: the indexes of the messages not sent."""
        for index, segment in enumerate(self._segments):
            if segment is None:
                continue
            if failed and index in failed:
                segment.add_fault_flag()
            segment.close()
            xray_recorder.emitter.send_entity(segment)
