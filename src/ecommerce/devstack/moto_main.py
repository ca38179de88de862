"""The moto server the local stack runs, with DynamoDB's atomicity and three speed fixes.

moto's server handles requests on many threads, and its DynamoDB backend does not lock: two
concurrent conditional writes (`TransactWriteItems` with `stock >= :q`) can both pass their
checks, which real DynamoDB never allows. This runs moto's own WSGI app with every DynamoDB
request taken one at a time; everything else (SQS long polls included) stays concurrent.
`moto_fixes` removes two costs that grow with the data (see there); `moto_patches` adds what
Terraform's provider needs to read back.

moto's own server (`moto_server`) is werkzeug's development server, which closes the
connection after every response (`Connection: close`, as it cannot drain a request body before
the next request line) and then waits 10 ms for stray input: every AWS call paid a TCP
connection, a thread and that wait. Served by waitress instead (a production WSGI server, pure
Python, threaded, HTTP/1.1 keep-alive), a client's connection carries call after call.

The local stack runs two of these: one for DynamoDB, one for SNS, SQS, S3 and Secrets Manager
(which must share a process: moto delivers SNS and S3 notifications to SQS in memory), so that
neither waits for the other's CPU time.

With `--state FILE` what the emulator holds survives a restart (`moto_state`): restored from
the file at start, written back every `--snapshot-every` seconds while requests come in, and on
SIGTERM. On SIGTERM the server first answers 503 to new requests (the SDKs retry those) and
waits for the requests under way to finish, so the last snapshot holds every change a client
was told succeeded: a queue's messages, a table's items, a publish's deliveries. (waitress's
threads write their answers themselves, and DynamoDB requests waiting for the snapshot's lock
would run after it: either could tell a client of a change the snapshot missed.) Long polls
(`ReceiveMessage`) are not waited for: what they take is only hidden, and handed out again
after the restart (at-least-once, as SQS).

    python -m ecommerce.devstack.moto_main -H 127.0.0.1 -p 5000 [--count-calls]
        [--state FILE [--snapshot-every SECONDS]]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import waitress
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from ecommerce.devstack import moto_fixes, moto_patches
from ecommerce.devstack.emulator_calls import CallCounter
from ecommerce.devstack.moto_state import Snapshots, restore

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
THREADS = 64
"""Requests served at once: SQS long polls hold a thread each for up to 20 s."""


class SerialDynamoDB:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self.lock:
            return list(self._app(environ, start_response))


FIXES_SWITCH = "ECOMMERCE_MOTO_FIXES"
STOPPING_BODY = b'{"__type":"ServiceUnavailable","message":"the emulator is restarting"}'
DRAIN_SECONDS = 8.0
"""How long a stopping emulator waits for the requests under way before its last snapshot."""


class Gate:
    """Lets requests through until `close()`; then answers 503 and waits for those inside."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._changed = threading.Condition()
        self._inside = 0
        self._closed = False

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "") == "AmazonSQS.ReceiveMessage":
            return self._app(environ, start_response)
        with self._changed:
            if self._closed:
                start_response(
                    "503 Service Unavailable",
                    [("Content-Type", "application/x-amz-json-1.0"), ("Connection", "close")],
                )
                return [STOPPING_BODY]
            self._inside += 1
        try:
            return list(self._app(environ, start_response))
        finally:
            with self._changed:
                self._inside -= 1
                self._changed.notify_all()

    def close(self, within: float) -> bool:
        """Refuse new requests and wait (bounded) for those inside; True if none is left."""
        with self._changed:
            self._closed = True
            return self._changed.wait_for(lambda: self._inside == 0, timeout=within)


class Touching:
    """Tells the snapshots that a request came in (moto's own API, the health probe, aside)."""

    def __init__(self, app: WsgiApp, snapshots: Snapshots) -> None:
        self._app = app
        self._snapshots = snapshots

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            self._snapshots.touched()
        return self._app(environ, start_response)


def main() -> None:
    parser = argparse.ArgumentParser(description="moto server with serial DynamoDB requests")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument(
        "--count-calls",
        action="store_true",
        help="count requests by service and operation (GET /_emulator/calls)",
    )
    parser.add_argument("--state", type=Path, help="keep what the emulator holds in this file")
    parser.add_argument(
        "--snapshot-every",
        type=float,
        default=10.0,
        help="with --state: seconds between snapshots while requests come in (0: at exit only)",
    )
    args = parser.parse_args()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    moto_patches.apply()
    if os.environ.get(FIXES_SWITCH, "1") != "0":  # "0": moto as released, to measure the fixes
        moto_fixes.apply()
    serial = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
    app: WsgiApp = serial
    snapshots = None
    gate = None
    if args.state is not None:
        restored = restore(args.state)
        print(f"state {args.state}: " + (f"restored {', '.join(restored)}" if restored else "new"))
        snapshots = Snapshots(args.state, args.snapshot_every, hold=serial.lock)
        snapshots.start()
        app = gate = Gate(Touching(app, snapshots))
    if args.count_calls:
        app = CallCounter(app)
    try:
        waitress.serve(
            app,
            host=args.host,
            port=args.port,
            threads=THREADS,
            connection_limit=1000,
            channel_timeout=60,
            ident="moto",
            _quiet=True,
        )
    finally:
        if gate is not None and not gate.close(DRAIN_SECONDS):
            print(f"requests still under way after {DRAIN_SECONDS:g} s: snapshot anyway")
        if snapshots is not None:
            print(f"state {args.state}: {snapshots.final()} bytes written")


if __name__ == "__main__":
    main()
