"""A local stand-in for the X-Ray daemon: takes segments on UDP and keeps them in a file.

Services send segments to `AWS_XRAY_DAEMON_ADDRESS` as the X-Ray SDK does in AWS (a JSON
header line, a newline, the segment document). This keeps each document as one JSON line in
`<state>/traces/segments.jsonl`, where tests and `ecommerce trace ORDER_ID` read them.

    python -m ecommerce.devstack.xray_daemon --port 2000 --out .devstack/traces/segments.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from pathlib import Path

FLUSH_SECONDS = 0.2


class SegmentSink(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.pending: list[str] = []
        self.received = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        _, _, body = data.partition(b"\n")
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return
        self.pending.append(json.dumps(document, separators=(",", ":")))
        self.received += 1


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
    print(f"xray daemon stand-in listening on udp://{host}:{port}, writing {out}", flush=True)
    try:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), FLUSH_SECONDS)
            if sink.pending:
                lines, sink.pending = sink.pending, []
                await asyncio.to_thread(_append, out, lines)
    finally:
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
