"""A local stand-in for the trace collector: X-Ray segments on UDP (the X-Ray daemon's
protocol) and OTLP/HTTP on TCP (an ADOT collector's), the same port number for both, as the
X-Ray daemon has. Everything is kept in `<state>/traces/segments.jsonl`, one X-Ray segment
document a line, where tests and `ecommerce trace ORDER_ID` read it.

The X-Ray SDK back end sends a JSON header line, a newline and the segment document; the
OpenTelemetry back end posts OTLP spans to `/v1/traces`, kept as the documents X-Ray would
store (`ecommerce.devstack.otlp_segments`).

    python -m ecommerce.devstack.xray_daemon --port 2000 --out .devstack/traces/segments.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import signal
from pathlib import Path
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ecommerce.devstack.otlp_segments import documents, parse_request

FLUSH_SECONDS = 0.2
OTLP_PATH = "/v1/traces"


class SegmentSink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.pending: list[str] = []
        self.received = 0

    def add(self, document: dict[str, Any]) -> None:
        self.pending.append(json.dumps(document, separators=(",", ":")))
        self.received += 1

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        _, _, body = data.partition(b"\n")
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        self.add(document)


def otlp_app(sink: SegmentSink) -> web.Application:
    async def export(request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        try:
            export = parse_request(body, request.content_type)
        except ValueError as error:
            return web.Response(status=400, text=str(error))
        for document in documents(export):
            sink.add(document)
        if request.content_type == "application/json":
            return web.json_response({})
        answer = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post(OTLP_PATH, export)
    return app


def _prepare(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def _append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


async def serve(host: str, port: int, out: Path, stopping: asyncio.Event) -> None:
    await asyncio.to_thread(_prepare, out)
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(SegmentSink, local_addr=(host, port))
    runner = web.AppRunner(otlp_app(sink), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(
        f"trace stand-in listening on udp://{host}:{port} (X-Ray) and "
        f"http://{host}:{port}{OTLP_PATH} (OTLP), writing {out}",
        flush=True,
    )
    try:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), FLUSH_SECONDS)
            if sink.pending:
                lines, sink.pending = sink.pending, []
                await asyncio.to_thread(_append, out, lines)
    finally:
        await runner.cleanup()
        transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    async def run() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await serve(args.host, args.port, args.out, stopping)

    asyncio.run(run())


if __name__ == "__main__":
    main()
