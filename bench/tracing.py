"""What tracing costs a request, with each back end (docs/observability.md).

    python -m bench.tracing                      # 20,000 requests a case, 3 rounds
    python -m bench.tracing --requests 5000 --rounds 1 --no-write

A request goes through `ecommerce.platform.tracing.http_middleware` to a handler that traces
what the orders frontend does: an annotation, one child span around an awaited call (its
database transaction), the trace header read for the outbox. No HTTP server and no database:
the figures are tracing's own cost, per request, against the same handler untraced.

Cases: no tracing; the X-Ray SDK (segments over UDP) and OpenTelemetry (OTLP/HTTP, batched in
its exporter thread), each with the request sampled and not sampled. Both send to the local
trace stand-in (`ecommerce.devstack.xray_daemon`) run as a process of its own, as the daemon or
the collector is in production. CPU time is the process's, exporter thread included; wall time
is the loop's. The OpenTelemetry cases end with a flush, inside the timing, so that every span
exported is paid for (its queue is made large enough to drop none).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from bench.common import machine, now_iso, output_options, publish, say
from ecommerce.devstack.ports import free_port
from ecommerce.platform import tracing
from ecommerce.platform.sampling import Always, Never
from ecommerce.platform.tracing.otel import OtelBackend
from ecommerce.platform.tracing.xray import XRayBackend

CASES = ("none", "xray-sampled", "xray-unsampled", "otel-sampled", "otel-unsampled")


async def handler(request: web.Request) -> web.StreamResponse:
    tracing.annotate(order_id="o-1")
    async with tracing.subsegment("postgres", "remote"):
        await asyncio.sleep(0)
    tracing.current_trace_header()
    return web.Response(status=202)


async def run_case(
    requests: int, flush: Callable[[], Awaitable[None]] | None
) -> tuple[float, float]:
    """Seconds of wall and CPU time per request."""
    request = make_mocked_request("POST", "/orders", headers={})
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        await tracing.http_middleware(request, handler)
    if flush is not None:
        await flush()
    return (time.perf_counter() - wall) / requests, (time.process_time() - cpu) / requests


def otel_backend(endpoint: str, requests: int) -> tuple[OtelBackend, TracerProvider]:
    provider = OtelBackend.provider("orders")
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=10)
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=4 * requests + 2048))
    return OtelBackend("orders", provider), provider


async def measure(args: argparse.Namespace, port: int) -> dict[str, dict[str, float]]:
    os.environ["AWS_XRAY_DAEMON_ADDRESS"] = f"127.0.0.1:{port}"
    xray = XRayBackend.for_process("orders")
    otel, provider = otel_backend(f"http://127.0.0.1:{port}/v1/traces", args.requests)

    async def flush() -> None:
        await asyncio.to_thread(provider.force_flush, 60_000)

    setups: dict[str, tuple[Any, Any, Callable[[], Awaitable[None]] | None]] = {
        "none": (None, None, None),
        "xray-sampled": (xray, Always(), None),
        "xray-unsampled": (xray, Never(), None),
        "otel-sampled": (otel, Always(), flush),
        "otel-unsampled": (otel, Never(), flush),
    }
    found: dict[str, list[tuple[float, float]]] = {case: [] for case in CASES}
    for round_number in range(args.rounds):
        order = CASES if round_number % 2 == 0 else tuple(reversed(CASES))
        for case in order:
            backend, sampler, flushing = setups[case]
            tracing.use(backend, sampler)
            await run_case(min(1000, args.requests), flushing)  # warm up
            found[case].append(await run_case(args.requests, flushing))
            say(f"round {round_number + 1}: {case} done")
    tracing.use(None)
    provider.shutdown()
    return {
        case: {
            "wall_us": round(statistics.median(w for w, _ in runs) * 1e6, 1),
            "cpu_us": round(statistics.median(c for _, c in runs) * 1e6, 1),
        }
        for case, runs in found.items()
    }


def table(figures: dict[str, dict[str, float]]) -> str:
    base = figures["none"]
    lines = [
        "| case | wall µs/request | CPU µs/request | CPU added by tracing |",
        "|---|---:|---:|---:|",
    ]
    for case, values in figures.items():
        added = "—" if case == "none" else f"{values['cpu_us'] - base['cpu_us']:.1f} µs"
        lines.append(f"| {case} | {values['wall_us']} | {values['cpu_us']} | {added} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests a case a round")
    parser.add_argument("--rounds", type=int, default=3)
    output_options(parser)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "segments.jsonl"
        argv = [sys.executable, "-m", "ecommerce.devstack.xray_daemon", "--port", str(port)]
        stand_in = subprocess.Popen([*argv, "--out", str(out)], stdout=subprocess.PIPE, text=True)
        try:
            assert stand_in.stdout is not None
            say(stand_in.stdout.readline().strip())
            figures = asyncio.run(measure(args, port))
        finally:
            stand_in.terminate()
            stand_in.wait(timeout=10)
    result = {
        "when": now_iso(),
        "machine": machine(("aws-xray-sdk", "opentelemetry-sdk", "aiohttp")),
        "requests_per_case": args.requests,
        "rounds": args.rounds,
        "per_request": figures,
    }
    return publish("tracing", result, table(figures), args)


if __name__ == "__main__":
    raise SystemExit(main())
