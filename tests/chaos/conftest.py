"""The chaos tier: real worker processes, faults injected, invariants checked.

Each test gets `chaos`: the resources of `ecommerce.resources` under a prefix of its own (so a
worker killed in one test, whose long poll the emulator may still be serving, cannot take
messages from the next), the topic's real ARN, the orders database, and `start(...)` for worker
processes, every one of them killed at teardown. `gateways` serves gateway simulators.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from chaos_harness import ChaosStack, Gateway

from ecommerce.devstack.provision import deprovision, provision
from ecommerce.orders.migrations import apply_migrations
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import RESOURCES, physical


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaos: runs real worker processes and injects faults (kills, signals)"
    )


def _quiet(_: str) -> None:
    pass


@pytest.fixture(scope="session")
async def orders_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await apply_migrations(database_url)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def chaos(
    provisioned: str,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    original_environ: dict[str, str],
) -> AsyncIterator[ChaosStack]:
    monkeypatch.setenv("ECOMMERCE_PREFIX", f"{provisioned}-{uuid.uuid4().hex[:6]}")
    clients = AwsClients(os.environ["AWS_REGION"])
    try:
        await provision(clients, progress=_quiet)
        sns = await clients.client("sns")
        topic_arn = (await sns.create_topic(Name=physical(RESOURCES.topic)))["TopicArn"]
        stack = ChaosStack(
            prefix=os.environ["ECOMMERCE_PREFIX"],
            sqs=await clients.client("sqs"),
            sns=sns,
            dynamodb=await clients.client("dynamodb"),
            topic_arn=topic_arn,
            database_url=database_url,
            logs=tmp_path,
        )
        try:
            yield stack
        finally:
            await stack.stop_all()
            await stack.restore_visibility()
            if original_environ.get("AWS_ENDPOINT_URL", "").strip():
                await deprovision(clients, progress=_quiet)
    finally:
        await clients.close()


@pytest.fixture
async def gateways() -> AsyncIterator[Callable[..., Awaitable[Gateway]]]:
    """`await gateways(latency_ms=..., failing_charges=...)`: a started gateway simulator."""
    started: list[Gateway] = []

    async def start(latency_ms: int = 0, failing_charges: int = 0) -> Gateway:
        gateway = Gateway(latency_ms, failing_charges)
        await gateway.start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        await gateway.close()
