"""LocalStack for the tests under this folder.

When the suite runs with `AWS_ENDPOINT_URL=http://127.0.0.1:4566` (or `localhost:4566`), the
session fixture `localstack` makes sure LocalStack is up there through `scripts/localstack.sh
start` (which installs it on first use and is a no-op when it already answers healthy), and stops
it after the session if it was the one that started it. With any other `AWS_ENDPOINT_URL`, or
none, the tests that use it are skipped.

`localstack_session` is a `localstack_client` session on that endpoint (region us-east-1, test
credentials) for tests that talk to LocalStack directly. It sends every service to
`AWS_ENDPOINT_URL` and ignores the per-service `AWS_ENDPOINT_URL_<SERVICE>` (DynamoDB goes to moto
in the LocalStack suite): use plain boto3, which honours those, for DynamoDB.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from localstack_client import config as localstack_config
from localstack_client.session import Session

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "localstack.sh"
PORT: int = localstack_config.DEFAULT_EDGE_PORT
REGION = "us-east-1"
INSTALL_AND_START_TIMEOUT = 900.0


def localstack_endpoint() -> str | None:
    """The endpoint localstack_client resolves (AWS_ENDPOINT_URL when set), if it is the
    LocalStack that `scripts/localstack.sh` runs on this machine; else None."""
    if not os.environ.get("AWS_ENDPOINT_URL", "").strip():
        return None
    endpoint: str | None = localstack_config.get_service_endpoint("sqs")
    if endpoint is None:
        return None
    url = urlsplit(endpoint)
    if url.scheme == "http" and url.hostname in ("127.0.0.1", "localhost") and url.port == PORT:
        return endpoint.rstrip("/")
    return None


def _script(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), command],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=INSTALL_AND_START_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="session")
def localstack() -> Iterator[str]:
    """The LocalStack endpoint, up and healthy with SQS, SNS, S3 and Secrets Manager."""
    endpoint = localstack_endpoint()
    if endpoint is None:
        pytest.skip(f"AWS_ENDPOINT_URL does not point at LocalStack (http://127.0.0.1:{PORT})")
    already_up = _script("status").returncode == 0
    started = _script("start")
    if started.returncode != 0:
        pytest.fail(
            f"scripts/localstack.sh start failed ({started.returncode}):\n"
            f"{started.stdout}{started.stderr}",
            pytrace=False,
        )
    yield endpoint
    if not already_up:
        stopped = _script("stop")
        if stopped.returncode != 0:
            pytest.fail(f"scripts/localstack.sh stop failed:\n{stopped.stdout}{stopped.stderr}")


@pytest.fixture(scope="session")
def localstack_session(localstack: str) -> Any:
    """A `localstack_client.session.Session` on the LocalStack endpoint (boto3-like `client()`
    and `resource()`)."""
    return Session(
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name=REGION,
        localstack_host=f"127.0.0.1:{PORT}",
    )
