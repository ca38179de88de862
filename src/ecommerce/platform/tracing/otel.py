"""The OpenTelemetry back end: spans exported as OTLP/HTTP to an ADOT collector, which sends
them to X-Ray (EKS), or to the local receiver of `ecommerce dev`.

X-Ray's propagator writes and reads the `X-Amzn-Trace-Id` header, and X-Ray's id generator
makes trace ids X-Ray accepts (their first 8 hex digits are the start time), so a trace can
cross services on either back end. The collector's address is OpenTelemetry's own setting,
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); batching follows
`OTEL_BSP_*`. AWS calls (aiobotocore), PostgreSQL (asyncpg), Redis and aiohttp clients are
recorded as child spans. Sampling is the facade's decision, handed to `_Decided` on the span
that starts a request or message; every span under it follows its parent.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import aiohttp
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from ecommerce.platform.tracing.backend import TRACE_HEADER, Span, TraceHeader
from ecommerce.platform.tracing.backend import SpanKind as Kind

ANNOTATIONS = "aws.xray.annotations"
"""The span attribute naming the attributes X-Ray indexes as annotations (awsxray exporter)."""

_DECISION = otel_context.create_key("ecommerce-sampled")
_next_trace_id: ContextVar[int | None] = ContextVar("next_trace_id", default=None)


def enabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() != "true"


def xray_trace_id(trace_id: int) -> str:
    digits = f"{trace_id:032x}"
    return f"1-{digits[:8]}-{digits[8:]}"


def otel_trace_id(root: str) -> int | None:
    """`1-5f000000-000000000000000000000001` as OpenTelemetry's 128-bit id; None if malformed."""
    version, _, rest = root.partition("-")
    epoch, _, unique = rest.partition("-")
    if version != "1" or len(epoch) != 8 or len(unique) != 24:
        return None
    try:
        return int(epoch + unique, 16) or None
    except ValueError:
        return None


class _Decided(Sampler):
    """Recorded: the span where a sampled request or message starts (a context value), and
    any span under a sampled parent. A span with neither (a poll, a background job, work of
    a trace that is not sampled) is not."""

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        forced = otel_context.get_value(_DECISION, parent_context)
        sampled = (
            forced if isinstance(forced, bool) else parent.is_valid and parent.trace_flags.sampled
        )
        if not sampled:
            return SamplingResult(Decision.DROP, None, parent.trace_state)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent.trace_state)

    def get_description(self) -> str:
        return "ecommerce.platform.sampling"


class _IdGenerator(AwsXRayIdGenerator):
    """X-Ray's ids, except that a trace known by its root alone keeps that root."""

    def generate_trace_id(self) -> int:
        forced = _next_trace_id.get()
        return forced if forced is not None else int(super().generate_trace_id())


class _OtelSpan:
    def __init__(self, span: trace.Span, token: object | None, ends: bool = True) -> None:
        self._span = span
        self._token = token
        self._ends = ends

    @property
    def root(self) -> str:
        return xray_trace_id(self._span.get_span_context().trace_id)

    def put_http(
        self,
        *,
        method: str | None = None,
        url: str | None = None,
        client_ip: str | None = None,
        status: int | None = None,
    ) -> None:
        if not self._span.is_recording():
            return
        for key, value in (
            ("http.request.method", method),
            ("url.full", url),
            ("client.address", client_ip),
            ("http.response.status_code", status),
        ):
            if value is not None:
                self._span.set_attribute(key, value)
        if status is not None and status >= 500:
            self._span.set_status(Status(StatusCode.ERROR))

    def put_error(self, error: BaseException) -> None:
        if self._span.is_recording():
            self._span.record_exception(error)
            self._span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))

    def put_fault(self) -> None:
        if self._span.is_recording():
            self._span.set_status(Status(StatusCode.ERROR, "not sent"))

    def annotate(self, annotations: Mapping[str, str]) -> None:
        _annotate(self._span, annotations)

    def end(self) -> None:
        if self._ends:
            self._span.end()
        if self._token is not None:
            otel_context.detach(self._token)  # type: ignore[arg-type]


def _annotate(span: trace.Span, annotations: Mapping[str, str]) -> None:
    if not span.is_recording():
        return
    known: Any = getattr(span, "attributes", None) or {}
    keys = set(known.get(ANNOTATIONS, ())) | set(annotations)
    span.set_attributes(dict(annotations))
    span.set_attribute(ANNOTATIONS, sorted(keys))


class OtelBackend:
    def __init__(self, service: str, provider: TracerProvider) -> None:
        self.service = service
        self._provider = provider
        self._tracer = provider.get_tracer("ecommerce.platform.tracing")
        self._propagator = AwsXRayPropagator()

    @staticmethod
    def provider(service: str) -> TracerProvider:
        return TracerProvider(
            resource=Resource.create({"service.name": service}),
            sampler=_Decided(),
            id_generator=_IdGenerator(),
        )

    @classmethod
    def for_process(cls, service: str) -> OtelBackend:
        """The process's tracer provider exporting OTLP/HTTP, X-Ray's header on every outgoing
        call, and aiobotocore, asyncpg and Redis recorded."""
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.botocore import AiobotocoreInstrumentor
        from opentelemetry.instrumentation.redis import RedisInstrumentor

        provider = cls.provider(service)
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        propagate.set_global_textmap(AwsXRayPropagator())
        AiobotocoreInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        RedisInstrumentor().instrument(tracer_provider=provider)
        return cls(service, provider)

    def _start(
        self, name: str, kind: SpanKind, trace_header: TraceHeader, started: float | None = None
    ) -> tuple[trace.Span, otel_context.Context]:
        """A sampled span continuing `trace_header`, and the context it continues."""
        parent = otel_context.Context()  # a request or message continues its header only
        forced_id = None
        if trace_header.root and trace_header.parent:
            carrier = {TRACE_HEADER: TraceHeader(trace_header.root, trace_header.parent).text()}
            parent = self._propagator.extract(carrier, context=parent)
        elif trace_header.root:
            forced_id = otel_trace_id(trace_header.root)
        chosen = _next_trace_id.set(forced_id)
        try:
            span = self._tracer.start_span(
                name,
                context=otel_context.set_value(_DECISION, True, parent),
                kind=kind,
                start_time=None if started is None else int(started * 1e9),
            )
        finally:
            _next_trace_id.reset(chosen)
        return span, parent

    def begin(
        self,
        kind: Kind,
        name: str,
        trace_header: TraceHeader,
        sampled: bool,
        started: float | None = None,
    ) -> Span:
        if not sampled:
            return self._unsampled(trace_header)
        span_kind = SpanKind.SERVER if kind == "server" else SpanKind.CONSUMER
        span, parent = self._start(name, span_kind, trace_header, started)
        return _OtelSpan(span, otel_context.attach(trace.set_span_in_context(span, parent)))

    def _unsampled(self, trace_header: TraceHeader) -> Span:
        """No span: only the trace, as a remote parent that is not sampled, so that what this
        work sends on carries `Sampled=0` and nothing under it is recorded."""
        ids = self._provider.id_generator
        trace_id = otel_trace_id(trace_header.root or "") or ids.generate_trace_id()
        try:
            span_id = int(trace_header.parent or "", 16)
        except ValueError:
            span_id = 0
        context = trace.SpanContext(
            trace_id, span_id or ids.generate_span_id(), is_remote=True, trace_flags=TraceFlags(0)
        )
        span = trace.NonRecordingSpan(context)
        token = otel_context.attach(trace.set_span_in_context(span, otel_context.Context()))
        return _OtelSpan(span, token, ends=False)

    def forwarding(self, name: str, trace_header: TraceHeader) -> tuple[Span, str]:
        span, _ = self._start(name, SpanKind.CONSUMER, trace_header)
        context = span.get_span_context()
        header = TraceHeader(xray_trace_id(context.trace_id), f"{context.span_id:016x}", True)
        return _OtelSpan(span, None), header.text()

    def current_header(self) -> str | None:
        carrier: dict[str, str] = {}
        self._propagator.inject(carrier)
        return carrier.get(TRACE_HEADER)

    def annotate(self, annotations: Mapping[str, str]) -> None:
        _annotate(trace.get_current_span(), annotations)

    @asynccontextmanager
    async def local(self, name: str, remote: bool) -> AsyncIterator[None]:
        kind = SpanKind.CLIENT if remote else SpanKind.INTERNAL
        with self._tracer.start_as_current_span(name, kind=kind):
            yield

    def client_trace_configs(self) -> list[aiohttp.TraceConfig]:
        from opentelemetry.instrumentation.aiohttp_client import create_trace_config

        return [create_trace_config(tracer_provider=self._provider)]
