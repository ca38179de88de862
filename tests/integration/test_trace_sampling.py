"""The tracing middleware over real HTTP, with each back end: a request that is not sampled
builds no segment and passes `Sampled=0` on; one that fails is recorded all the same; a sampled
one as before. The OpenTelemetry back end's spans are read as the X-Ray documents the local
stand-in keeps (`ecommerce.devstack.otlp_segments`), so both answer the same assertions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aws_xray_sdk.core import xray_recorder
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ecommerce.devstack.otlp_segments import documents
from ecommerce.devstack.ports import free_port
from ecommerce.platform import tracing
from ecommerce.platform.sampling import Always, Never, Sampler
from ecommerce.platform.tracing.otel import OtelBackend
from ecommerce.platform.tracing.xray import TaskContext, XRayBackend

pytestmark = pytest.mark.integration


class Emitted:
    def __init__(self) -> None:
        self.segments: list[dict[str, Any]] = []

    def send_entity(self, entity: Any) -> None:
        self.segments.append(entity.to_dict())

    def set_daemon_address(self, address: str | None) -> None:
        pass


class Exported:
    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self.exporter = exporter

    @property
    def segments(self) -> list[dict[str, Any]]:
        return list(documents(encode_spans(self.exporter.get_finished_spans())))


@pytest.fixture(params=["xray", "otel"])
def emitted(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Emitted | Exported:
    """The back end set up as `configure_tracing` does, without patching or instrumenting
    libraries for the rest of the session; segments land in a list instead of the daemon."""
    if request.param == "otel":
        exporter = InMemorySpanExporter()
        provider = OtelBackend.provider("tracing-test")
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        monkeypatch.setattr(tracing, "_backend", OtelBackend("tracing-test", provider))
        return Exported(exporter)
    found = Emitted()
    if not tracing.is_configured():
        xray_recorder.configure(
            sampling=False, context_missing="IGNORE_ERROR", context=TaskContext()
        )
    monkeypatch.setattr(xray_recorder, "emitter", found)
    monkeypatch.setattr(tracing, "_backend", XRayBackend("tracing-test"))
    return found


async def seen(request: web.Request) -> web.Response:
    return web.json_response({"header": tracing.current_trace_header()})


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("boom")


@pytest.fixture
async def url() -> AsyncIterator[str]:
    @web.middleware
    async def as_500(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            answer: web.StreamResponse = await handler(request)
            return answer
        except RuntimeError:
            return web.Response(status=500)

    app = web.Application(middlewares=[tracing.http_middleware, as_500])
    app.router.add_get("/seen", seen)
    app.router.add_get("/boom", boom)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        body = await answer.json() if answer.content_type == "application/json" else None
        return answer.status, body


def use(monkeypatch: pytest.MonkeyPatch, sampler: Sampler) -> None:
    monkeypatch.setattr(tracing, "_sampler", sampler)


async def test_an_unsampled_request_records_nothing_and_passes_the_decision_on(
    url: str, emitted: Emitted | Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Never())
    root = "1-5f000000-000000000000000000000001"
    status, body = await get(f"{url}/seen", {"X-Amzn-Trace-Id": f"Root={root}"})
    assert status == 200
    assert body["header"].startswith(f"Root={root}") and body["header"].endswith("Sampled=0")
    assert emitted.segments == []


async def test_an_unsampled_request_that_fails_is_recorded(
    url: str, emitted: Emitted | Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Never())
    status, _ = await get(f"{url}/boom")
    assert status == 500
    (segment,) = emitted.segments
    assert segment["fault"] is True
    assert segment["http"]["response"]["status"] == 500
    assert segment["annotations"] == {"kept_because": "failed"}


async def test_a_sampled_request_is_recorded_and_so_is_the_decision_it_received(
    url: str, emitted: Emitted | Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Never())
    root = "1-5f000000-000000000000000000000002"
    status, body = await get(f"{url}/seen", {"X-Amzn-Trace-Id": f"Root={root};Sampled=1"})
    assert status == 200 and body["header"].endswith("Sampled=1")
    use(monkeypatch, Always())
    await get(f"{url}/seen")
    assert emitted.segments[0]["trace_id"] == root
    assert len(emitted.segments) == 2


async def test_an_unsampled_message_that_fails_is_recorded(
    emitted: Emitted | Exported, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, Always())  # the message's own decision wins over the rules
    header = "Root=1-5f000000-000000000000000000000003;Parent=53995c3f42cd8ad8;Sampled=0"
    async with tracing.message_segment("worker", header):
        assert tracing.current_trace_header() == header
    assert emitted.segments == []
    with pytest.raises(ValueError):
        async with tracing.message_segment("worker", header):
            raise ValueError("poison")
    (segment,) = emitted.segments
    assert segment["trace_id"] == "1-5f000000-000000000000000000000003"
    assert segment["fault"] is True
    assert segment["cause"]["exceptions"][0]["message"] == "poison"
