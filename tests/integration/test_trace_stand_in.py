"""The local trace stand-in takes what OpenTelemetry's own OTLP/HTTP exporter sends (protobuf)
and keeps it as X-Ray documents, where `ecommerce trace` reads them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from unittest.mock import ANY

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ecommerce.devstack.ports import free_port
from ecommerce.devstack.xray_daemon import serve
from ecommerce.ops.traces import order_trace_ids, read_segments
from ecommerce.platform.tracing.backend import TraceHeader
from ecommerce.platform.tracing.otel import OtelBackend

pytestmark = pytest.mark.integration


async def test_spans_exported_over_otlp_are_kept_as_x_ray_segments(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "traces" / "segments.jsonl"
    stopping = asyncio.Event()
    server = asyncio.create_task(serve("127.0.0.1", port, out, stopping))
    finished = InMemorySpanExporter()
    provider = OtelBackend.provider("orders")
    provider.add_span_processor(SimpleSpanProcessor(finished))
    backend = OtelBackend("orders", provider)
    span = backend.begin("server", "orders", TraceHeader(), sampled=True)
    span.annotate({"order_id": "o-9"})
    async with backend.local("postgres", remote=True):
        pass
    span.end()

    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=5)
    try:
        for _ in range(50):  # the stand-in listens within a moment; bounded, 5 s
            if out.exists():
                break
            await asyncio.sleep(0.1)
        result = await asyncio.to_thread(exporter.export, finished.get_finished_spans())
        assert result is SpanExportResult.SUCCESS
        kept: list[dict[str, object]] = []
        for _ in range(50):  # flushed to the file every 0.2 s; bounded, 5 s
            kept = read_segments(out)
            if len(kept) == 2:
                break
            await asyncio.sleep(0.1)
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]
        stopping.set()
        await server
    assert order_trace_ids(kept, "o-9") == {span.root}
    names = {(document["name"], document.get("type", "segment")) for document in kept}
    assert names == {("orders", "segment"), ("postgres", "subsegment")}
    (segment,) = [document for document in kept if "type" not in document]
    assert segment["aws"] == {"xray": {"sdk": "opentelemetry for python", "sdk_version": ANY}}
