"""The X-Ray SDK back end: segments sent over UDP to the X-Ray daemon at
`AWS_XRAY_DAEMON_ADDRESS` (the DaemonSet in EKS; a local stand-in in `ecommerce dev`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from typing import Any

import aiohttp
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import patch, xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.models import http
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.traceid import TraceId
from aws_xray_sdk.core.utils import stacktrace

from ecommerce.platform.tracing.backend import Span, SpanKind, TraceHeader

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


def enabled() -> bool:
    return bool(global_sdk_config.sdk_enabled())


class _Segment:
    def __init__(self, segment: Any, detached: bool = False) -> None:
        self._segment = segment
        self._detached = detached

    @property
    def root(self) -> str:
        return str(self._segment.trace_id)

    def put_http(
        self,
        *,
        method: str | None = None,
        url: str | None = None,
        client_ip: str | None = None,
        status: int | None = None,
    ) -> None:
        for key, value in (
            (http.URL, url),
            (http.METHOD, method),
            (http.CLIENT_IP, client_ip),
            (http.STATUS, status),
        ):
            if value is not None:
                self._segment.put_http_meta(key, value)

    def put_error(self, error: BaseException) -> None:
        self._segment.add_exception(error, stacktrace.get_stacktrace(limit=10))

    def put_fault(self) -> None:
        self._segment.add_fault_flag()

    def annotate(self, annotations: Mapping[str, str]) -> None:
        for key, value in annotations.items():
            self._segment.put_annotation(key, value)

    def end(self) -> None:
        if not self._detached:
            xray_recorder.end_segment()
            return
        self._segment.close()
        xray_recorder.emitter.send_entity(self._segment)


class _Unsampled:
    """No segment: only the trace, so that what this work sends on carries `Sampled=0`."""

    def __init__(self, trace: TraceHeader) -> None:
        self._trace = trace
        self._token: Token[TraceHeader | None] = _unsampled.set(trace)

    @property
    def root(self) -> str:
        return self._trace.root or ""

    def put_http(self, **_: Any) -> None:
        pass

    def put_error(self, error: BaseException) -> None:
        pass

    def put_fault(self) -> None:
        pass

    def annotate(self, annotations: Mapping[str, str]) -> None:
        pass

    def end(self) -> None:
        _unsampled.reset(self._token)


class XRayBackend:
    def __init__(self, service: str) -> None:
        self.service = service

    @classmethod
    def for_process(cls, service: str) -> XRayBackend:
        """The recorder configured once for this process, aiobotocore calls recorded."""
        xray_recorder.configure(
            service=service,
            sampling=False,  # every decision is the facade's, handed to begin
            context_missing="IGNORE_ERROR",
            context=TaskContext(),
            plugins=(),
            streaming_threshold=50,
        )
        patch(["aiobotocore"])
        return cls(service)

    def begin(
        self,
        kind: SpanKind,
        name: str,
        trace: TraceHeader,
        sampled: bool,
        started: float | None = None,
    ) -> Span:
        if kind == "consumer":
            xray_recorder.context.clear_trace_entities()
        root = trace.root or TraceId().to_id()
        if not sampled:
            return _Unsampled(TraceHeader(root, trace.parent, sampled=False))
        segment = xray_recorder.begin_segment(
            name=name, traceid=root, parent_id=trace.parent, sampling=1
        )
        if started is not None:
            segment.start_time = started
        return _Segment(segment)

    def forwarding(self, name: str, trace: TraceHeader) -> tuple[Span, str]:
        segment = Segment(name, traceid=trace.root, parent_id=trace.parent, sampled=True)
        return _Segment(segment, detached=True), TraceHeader(trace.root, segment.id, True).text()

    def current_header(self) -> str | None:
        entity = xray_recorder.context.get_trace_entity()
        if entity is None or not getattr(entity, "trace_id", None):
            unsampled = _unsampled.get()
            return unsampled.text() if unsampled is not None else None
        sampled = bool(getattr(entity, "sampled", False))
        return TraceHeader(entity.trace_id, entity.id, sampled).text()

    def annotate(self, annotations: Mapping[str, str]) -> None:
        entity = xray_recorder.context.get_trace_entity()
        if entity is not None and hasattr(entity, "put_annotation"):
            for key, value in annotations.items():
                entity.put_annotation(key, value)

    @asynccontextmanager
    async def local(self, name: str, remote: bool) -> AsyncIterator[None]:
        if xray_recorder.context.get_trace_entity() is None:
            yield
            return
        xray_recorder.begin_subsegment(name, "remote" if remote else "local")
        try:
            yield
        finally:
            xray_recorder.end_subsegment()

    def client_trace_configs(self) -> list[aiohttp.TraceConfig]:
        from aws_xray_sdk.ext.aiohttp.client import aws_xray_trace_config

        return [aws_xray_trace_config()]
