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

    python -m ecommerce.devstack.moto_main -H 127.0.0.1 -p 5000 [--count-calls]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from ecommerce.devstack import moto_fixes, moto_patches
from ecommerce.devstack.emulator_calls import CallCounter

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
THREADS = 64
"""Requests served at once: SQS long polls hold a thread each for up to 20 s."""


class SerialDynamoDB:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


FIXES_SWITCH = "ECOMMERCE_MOTO_FIXES"


def main() -> None:
    parser = argparse.ArgumentParser(description="moto server with serial DynamoDB requests")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument(
        "--count-calls",
        action="store_true",
        help="count requests by service and operation (GET /_emulator/calls)",
    )
    args = parser.parse_args()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    moto_patches.apply()
    if os.environ.get(FIXES_SWITCH, "1") != "0":  # "0": moto as released, to measure the fixes
        moto_fixes.apply()
    app: WsgiApp = SerialDynamoDB(DomainDispatcherApplication(create_backend_app))
    if args.count_calls:
        app = CallCounter(app)
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


if __name__ == "__main__":
    main()
