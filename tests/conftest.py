"""Session fixtures for the whole suite: real PostgreSQL, Redis and an AWS emulator.

Each is the server named by the environment when set (`DATABASE_URL`, `REDIS_URL`,
`AWS_ENDPOINT_URL`, plus the per-service `AWS_ENDPOINT_URL_<SERVICE>` botocore honours), and
otherwise an embedded one started for the session by the same code as `ecommerce dev`
(`ecommerce.devstack`). Everything started here is stopped at the end of the session.

- `database_url`: a fresh database, created for the session and dropped after it.
- `redis_url`: a Redis URL.
- `aws_endpoint`: the AWS endpoint; sets `AWS_ENDPOINT_URL` (and, for the embedded emulators,
  `AWS_ENDPOINT_URL_DYNAMODB`), region and credentials in `os.environ` for the session, so
  `AwsClients(...)` and child processes use it.
- `provisioned`: a unique `ECOMMERCE_PREFIX` for the session (set in `os.environ`) with every
  resource of `ecommerce.resources` created under it; yields the prefix.
- `original_environ`: the environment as it was before any fixture changed it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ecommerce.devstack.environment import aws_environment, aws_variables_to_drop
from ecommerce.devstack.moto_server import Emulators, start_emulators
from ecommerce.devstack.postgres import (
    database_dsn,
    drop_database,
    ensure_database,
    start_postgres,
)
from ecommerce.devstack.provision import deprovision, provision
from ecommerce.devstack.redis_server import start_redis
from ecommerce.platform.aws import AwsClients

ORIGINAL_ENVIRON = dict(os.environ)


def _quiet(_: str) -> None:
    pass


def _external(name: str) -> str | None:
    return ORIGINAL_ENVIRON.get(name, "").strip() or None


@pytest.fixture(scope="session")
def original_environ() -> dict[str, str]:
    return dict(ORIGINAL_ENVIRON)


@pytest.fixture(scope="session")
def session_environ() -> Iterator[pytest.MonkeyPatch]:
    """Changes to os.environ that last for the session and are undone after it."""
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


@pytest.fixture(scope="session")
def server_dir() -> Iterator[Path]:
    """Where embedded servers keep their data: outside pytest's own temporary root, which every
    pytest run resets to mode 0700, locking out PostgreSQL's own system user mid-session."""
    base = Path(tempfile.mkdtemp(prefix="ecommerce-test-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def stack_dir() -> Iterator[Path]:
    """A folder for one test's own stack state, outside pytest's temporary root for the same
    reason as `server_dir` (another pytest run starting resets that root to 0700)."""
    base = Path(tempfile.mkdtemp(prefix="ecommerce-stack-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
async def postgres_server_url(server_dir: Path) -> AsyncIterator[str]:
    """The DSN of a PostgreSQL server (its maintenance database)."""
    external = _external("DATABASE_URL")
    if external is not None:
        yield external
        return
    base = server_dir / "postgres"
    server = await start_postgres(base / "data", base / "postgres.log", say=_quiet)
    try:
        yield server.url
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    await ensure_database(postgres_server_url, name)
    yield database_dsn(postgres_server_url, name)
    await drop_database(postgres_server_url, name)


@pytest.fixture(scope="session")
async def redis_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    external = _external("REDIS_URL")
    if external is not None:
        yield external
        return
    base: Path = tmp_path_factory.mktemp("redis")
    server = await start_redis(base, base / "redis.log")
    try:
        yield server.url
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def aws_endpoint(
    tmp_path_factory: pytest.TempPathFactory, session_environ: pytest.MonkeyPatch
) -> AsyncIterator[str]:
    external = _external("AWS_ENDPOINT_URL")
    emulators: Emulators | None = None
    if external is None:
        emulators = await start_emulators(tmp_path_factory.mktemp("moto"))
        endpoint = emulators.main.url
    else:
        endpoint = external
    try:
        for key in aws_variables_to_drop(embedded=emulators is not None):
            session_environ.delenv(key, raising=False)
        for key, value in aws_environment(
            ORIGINAL_ENVIRON,
            endpoint,
            embedded=emulators is not None,
            dynamodb_endpoint=emulators.dynamodb.url if emulators is not None else None,
        ).items():
            session_environ.setenv(key, value)
        yield endpoint
    finally:
        if emulators is not None:
            await emulators.stop()


@pytest.fixture(scope="session")
async def provisioned(aws_endpoint: str, session_environ: pytest.MonkeyPatch) -> AsyncIterator[str]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    session_environ.setenv("ECOMMERCE_PREFIX", prefix)
    clients = AwsClients(os.environ["AWS_REGION"])
    try:
        topic_arn = await provision(clients, progress=_quiet)
    finally:
        await clients.close()
    session_environ.setenv("ECOMMERCE_TOPIC_ARN", topic_arn)
    yield prefix
    if _external("AWS_ENDPOINT_URL") is not None:
        # A shared emulator keeps what a session made unless it is deleted.
        clients = AwsClients(os.environ["AWS_REGION"])
        try:
            await deprovision(clients, progress=_quiet)
        finally:
            await clients.close()
