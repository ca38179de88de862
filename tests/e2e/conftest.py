"""The `stack` fixture: the whole system, booted the way a user boots it (`ecommerce dev`).

`stack` (session-scoped) boots one stack for every end-to-end test and yields a `RunningStack`
(`.edge`: the edge's base URL; `.stack`: stack.json as first read; `.read()`: as it is now).
At the end it sends SIGINT and asserts that nothing of the stack is left running.

External servers given to the suite are used by the stack too: a fresh database on
`DATABASE_URL`'s server, and a unique `ECOMMERCE_PREFIX` on `AWS_ENDPOINT_URL` — unless
provisioning is off (`ECOMMERCE_PROVISION=off`, as `make test-terraform` runs it): then the
stack runs on the resources that exist under the `ECOMMERCE_PREFIX` given.
"""

from __future__ import annotations

import contextlib
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from browser import chromium
from devstack_runner import RunningStack, boot_stack, stop_stack
from gateway_account import gateway_auth
from selenium.webdriver.remote.webdriver import WebDriver

from ecommerce.devstack.postgres import database_dsn, drop_database, ensure_database
from ecommerce.devstack.provisioned import provisioning_enabled
from ecommerce.platform.call_log import CALL_LOG_ENV


@contextlib.asynccontextmanager
async def fresh_database(server: str) -> AsyncIterator[str | None]:
    """With a server's DSN, a new database on it (dropped after); with none, None."""
    if not server:
        yield None
        return
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    await ensure_database(server, name)
    yield database_dsn(server, name)
    await drop_database(server, name)


@pytest.fixture(scope="session")
async def stack_database_url(original_environ: dict[str, str]) -> AsyncIterator[str | None]:
    """With an external DATABASE_URL, a fresh database on that server for the stack."""
    async with fresh_database(original_environ.get("DATABASE_URL", "").strip()) as url:
        yield url


@pytest.fixture(scope="session")
def aws_call_log(server_dir: Path) -> Path:
    """Where the stack's services list the AWS operations they call (least-privilege check)."""
    return server_dir / "aws-calls"


PAYMENT_ACTION_EXPIRY_SECONDS = 20


@pytest.fixture(scope="session")
def stack_environ(
    original_environ: dict[str, str], stack_database_url: str | None, aws_call_log: Path
) -> dict[str, str]:
    """The environment a stack boots with: the user's, before any fixture changed it."""
    env = dict(original_environ)
    env[CALL_LOG_ENV] = str(aws_call_log)
    # The tracing test reads the trace of the order it places: every trace is recorded.
    env.setdefault("ECOMMERCE_TRACE_SAMPLING", "all")
    # Customer authentication: the expiry test waits this long for a payment_expired cancel.
    env.setdefault("PAYMENT_ACTION_EXPIRY_SECONDS", str(PAYMENT_ACTION_EXPIRY_SECONDS))
    env.setdefault("PAYMENT_EXPIRY_SWEEP_SECONDS", "1")
    if stack_database_url is not None:
        env["DATABASE_URL"] = stack_database_url
    if env.get("AWS_ENDPOINT_URL", "").strip() and provisioning_enabled(env):
        env["ECOMMERCE_PREFIX"] = f"e{uuid.uuid4().hex[:10]}"
    return env


@pytest.fixture
async def separate_stack_environ(stack_environ: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """The environment of a second stack booted beside `stack`: its own resources on a shared
    AWS endpoint (a new `ECOMMERCE_PREFIX`) and its own database on a shared server. Sharing
    them, the two stacks' workers would take each other's messages, and the second stack's
    start would put its gateway simulator's webhook secret where `stack`'s webhooks frontend
    reads it, so `stack` would refuse its own simulator's webhooks from then on."""
    env = dict(stack_environ)
    if env.get("AWS_ENDPOINT_URL", "").strip() and provisioning_enabled(env):
        env["ECOMMERCE_PREFIX"] = f"e{uuid.uuid4().hex[:10]}"
    async with fresh_database(env.get("DATABASE_URL", "").strip()) as url:
        if url is not None:
            env["DATABASE_URL"] = url
        yield env


@pytest.fixture(scope="session")
def stack(stack_environ: dict[str, str], server_dir: Path) -> Iterator[RunningStack]:
    (server_dir / "stack").mkdir()
    running = boot_stack(stack_environ, server_dir / "stack" / "state")
    yield running
    stop_stack(running, signal.SIGINT)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for one test."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


@pytest.fixture(scope="session")
async def gateway_headers(stack: RunningStack, stack_environ: dict[str, str]) -> dict[str, str]:
    """Authorization on the gateway simulator's account that the payments worker charges."""
    return await gateway_auth(stack, stack_environ)


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    """A headless Chromium for the browser tests of one module (see browser.py)."""
    yield from chromium()
