"""Counts the AWS operations an emulator process serves, by service and operation.

Turned on with `moto_main --count-calls` (the benchmarks do; `ecommerce dev` does not). It sees
every client, whatever SDK it uses (botocore, kombu's own SQS client), which is how the peer
benchmark counts Celery's calls. `GET /_emulator/calls` answers `{"service operation": n}`;
`DELETE /_emulator/calls` starts the counts again.
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

PATH = "/_emulator/calls"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_TARGET_SERVICES = {
    "DynamoDB_20120810": "dynamodb",
    "AmazonSQS": "sqs",
    "secretsmanager": "secretsmanager",
}


def operation_of(environ: dict[str, Any]) -> str:
    """`service Operation` of a request, from its X-Amz-Target, its form `Action`, or S3's
    method; what it cannot name is `other METHOD`."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        prefix, _, operation = target.partition(".")
        return f"{_TARGET_SERVICES.get(prefix, prefix.lower())} {operation}"
    content_type = str(environ.get("CONTENT_TYPE", ""))
    method = str(environ.get("REQUEST_METHOD", "GET"))
    if content_type.startswith("application/x-www-form-urlencoded"):
        body = _read_body(environ)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        if action:
            return f"{_query_service(environ, body)} {action}"
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    if "/s3/aws4_request" in authorization:
        return f"s3 {method}"
    return f"other {method}"


def _query_service(environ: dict[str, Any], body: bytes) -> str:
    """SNS and SQS both speak the query protocol; the signing scope tells them apart."""
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    for service in ("sns", "sqs"):
        if f"/{service}/aws4_request" in authorization:
            return service
    return "sqs" if b"QueueUrl=" in body else "sns"


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so that the application reads it as well."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class CallCounter:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == PATH:
            return self._answer(environ, start_response)
        operation = operation_of(environ)
        with self._lock:
            self._counts[operation] += 1
        return self._app(environ, start_response)

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if environ.get("REQUEST_METHOD") == "DELETE":
                self._counts.clear()
            body = json.dumps(dict(sorted(self._counts.items()))).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
