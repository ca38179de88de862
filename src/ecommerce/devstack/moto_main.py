"""The moto server the local stack runs, with DynamoDB's atomicity.

moto's server handles requests on many threads, and its DynamoDB backend does not lock: two
concurrent conditional writes (`TransactWriteItems` with `stock >= :q`) can both pass their
checks, which real DynamoDB never allows. This runs moto's own WSGI app with every DynamoDB
request taken one at a time; everything else (SQS long polls included) stays concurrent.
It also applies `moto_patches` (what Terraform's provider needs to read back).

    python -m ecommerce.devstack.moto_main -H 127.0.0.1 -p 5000
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from ecommerce.devstack import moto_patches

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerialDynamoDB:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


def main() -> None:
    parser = argparse.ArgumentParser(description="moto server with serial DynamoDB requests")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    moto_patches.apply()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        SerialDynamoDB(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
