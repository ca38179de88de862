"""A lean HTTP/1.1 load generator: C keep-alive connections, each sending POST /orders as fast
as it is answered (closed loop, as wrk does), for D seconds.

It runs in a process of its own (`python -m bench.loadgen`), so that its CPU time is not the
measured processes'. Each request carries a fresh `Idempotency-Key` and one of the given bearer
tokens in turn; the body orders one product of the given list. It writes one JSON document to
stdout: requests, statuses, and latency percentiles in milliseconds.

    python -m bench.loadgen --url http://127.0.0.1:8080/orders --tokens tokens.json \
        --products p-001,p-002 --connections 32 --duration 15
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Requests:
    """Request bytes, each with its own Idempotency-Key, token and product in turn."""

    def __init__(self, url: str, tokens: Sequence[str], products: Sequence[str]) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self._tokens = itertools.cycle(tokens)
        self._products = itertools.cycle(products)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        body = json.dumps(
            {
                "items": [{"product_id": next(self._products), "quantity": 1}],
                "payment_token": "tok_visa",
            }
        ).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {next(self._tokens)}\r\n"
            f"Idempotency-Key: {uuid.uuid4().hex}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """The status of one response, its body read and thrown away."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"content-length":
            length = int(value.strip())
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip() or b"0", 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def connection(requests: Requests, stop_at: float, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(requests.host, requests.port)
    try:
        while time.perf_counter() < stop_at:
            payload = next(requests)
            started = time.perf_counter()
            writer.write(payload)
            try:
                status = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                tally.errors[type(error).__name__] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(requests.host, requests.port)
                continue
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            tally.statuses[status] += 1
    finally:
        writer.close()


async def run(args: argparse.Namespace, tokens: list[str]) -> dict[str, Any]:
    requests = Requests(args.url, tokens, args.products.split(","))
    tally = Tally()
    started = time.perf_counter()
    stop_at = started + args.duration
    await asyncio.gather(*(connection(requests, stop_at, tally) for _ in range(args.connections)))
    elapsed = time.perf_counter() - started
    ok = sum(count for status, count in tally.statuses.items() if 200 <= status < 300)
    latencies = tally.latencies_ms
    return {
        "url": args.url,
        "connections": args.connections,
        "seconds": round(elapsed, 3),
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(status): count for status, count in sorted(tally.statuses.items())},
        "errors": dict(tally.errors),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "ok_per_second": round(ok / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 2),
            "p90": round(percentile(latencies, 0.90), 2),
            "p99": round(percentile(latencies, 0.99), 2),
            "max": round(max(latencies), 2) if latencies else None,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", required=True, help="a JSON file: a list of bearer tokens")
    parser.add_argument("--products", required=True, help="comma-separated product ids")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args(argv)
    tokens: list[str] = json.loads(Path(args.tokens).read_text())
    result = asyncio.run(run(args, tokens))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
