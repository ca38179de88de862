"""The local X-Ray daemon stand-in (`ecommerce.devstack.xray_daemon`) as a supervised child.

Services send their segments to `AWS_XRAY_DAEMON_ADDRESS`; the stand-in keeps them in
`<state>/traces/segments.jsonl`, where `ecommerce trace ORDER_ID` reads them.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK, free_udp_port
from ecommerce.devstack.servers import EmbeddedServer, start_server

DAEMON_ADDRESS_ENV = "AWS_XRAY_DAEMON_ADDRESS"


async def start_xray_daemon(
    segments: Path, log: Path, *, owned: OwnedProcesses | None = None
) -> EmbeddedServer:
    """The stand-in on a free UDP port; its url is `udp://127.0.0.1:<port>`."""
    port = free_udp_port()
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
