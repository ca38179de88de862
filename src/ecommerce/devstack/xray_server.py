"""The local trace stand-in (`ecommerce.devstack.xray_daemon`) as a supervised child.

Services send their spans to it, whichever tracing back end they use: X-Ray segments to
`AWS_XRAY_DAEMON_ADDRESS` (UDP), OpenTelemetry spans to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
(OTLP/HTTP on the same port number). It keeps them in `<state>/traces/segments.jsonl`, where
`ecommerce trace ORDER_ID` reads them.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.servers import EmbeddedServer, start_server

DAEMON_ADDRESS_ENV = "AWS_XRAY_DAEMON_ADDRESS"
OTLP_ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
EXPORT_DELAY_MS = "200"
"""How long the OpenTelemetry back end batches spans here (its default, 5 s, is for a
collector in production: locally a trace is read a moment after the order settles)."""


async def start_xray_daemon(
    segments: Path, log: Path, *, owned: OwnedProcesses | None = None
) -> EmbeddedServer:
    """The stand-in on a free port; its url is `udp://127.0.0.1:<port>`."""
    port = free_port()
    argv = [sys.executable, "-m", "ecommerce.devstack.xray_daemon"]
    argv += ["--host", LOOPBACK, "--port", str(port), "--out", str(segments)]
    announcement = f"listening on udp://{LOOPBACK}:{port}"

    async def probe() -> bool:
        text = await asyncio.to_thread(log.read_text, errors="replace")
        return announcement in text

    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return await start_server(
        "xray", argv, url=f"udp://{LOOPBACK}:{port}", probe=probe, log=log, env=env, owned=owned
    )


def daemon_address(server: EmbeddedServer) -> str:
    """`udp://host:port` as the SDK wants it: `host:port`."""
    return server.url.removeprefix("udp://")


def tracing_environment(server: EmbeddedServer, environ: Mapping[str, str]) -> dict[str, str]:
    """What the services need to send their spans to the stand-in, with either back end; an
    OTLP endpoint the user set is kept."""
    address = daemon_address(server)
    found = {DAEMON_ADDRESS_ENV: address}
    if not any(environ.get(name, "").strip() for name in OTLP_ENDPOINT_ENVS):
        found["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"http://{address}/v1/traces"
        delay = environ.get("OTEL_BSP_SCHEDULE_DELAY", "").strip() or EXPORT_DELAY_MS
        found["OTEL_BSP_SCHEDULE_DELAY"] = delay
    return found
