"""AWS X-Ray tracing for every frontend and worker.

One order is one trace: the HTTP request's segment id travels in the outbox row, through SNS
and SQS (`AWSTraceHeader`, or the `trace_header` message attribute), and each worker opens its
segment for a message under that trace and passes it on in the events it emits.

Segments go to the X-Ray daemon at `AWS_XRAY_DAEMON_ADDRESS` (the DaemonSet in EKS; a local
stand-in in `ecommerce dev`). `ECOMMERCE_TRACE_SAMPLING=rules` uses X-Ray's sampling rules;
the default, `all`, records every request, as development wants.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import patch, xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.models.trace_header import TraceHeader
from aws_xray_sdk.ext.aiohttp.middleware import middleware as xray_middleware

_configured = False


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
    global _configured
    if _configured or not enabled():
        return
    xray_recorder.configure(
        service=service,
        sampling=os.environ.get("ECOMMERCE_TRACE_SAMPLING", "all") == "rules",
        context_missing="IGNORE_ERROR",
        context=TaskContext(),
        plugins=(),
        streaming_threshold=50,
    )
    patch(["aiobotocore"])
    _configured = True


http_middleware = xray_middleware


def current_trace_header() -> str | None:
    """`Root=...;Parent=...;Sampled=...` for the segment or subsegment now open, if any."""
    if not enabled():
        return None
    entity = xray_recorder.context.get_trace_entity() if _configured else None
    if entity is None or not getattr(entity, "trace_id", None):
        return None
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
    """A segment for handling one message, continuing the trace it arrived with."""
    if not _configured:
        yield
        return
    header = TraceHeader.from_header_str(trace_header) if trace_header else None
    xray_recorder.context.clear_trace_entities()
    segment = xray_recorder.begin_segment(
        name=name,
        traceid=header.root if header else None,
        parent_id=header.parent if header else None,
        sampling=1 if header is None or header.sampled != 0 else 0,
    )
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
