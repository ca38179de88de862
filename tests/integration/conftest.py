"""Fixtures shared by the integration tests of the workers' use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from recording import RecordingPublisher

from ecommerce.orders.migrations import apply_migrations
from ecommerce.platform.aws import AwsClients


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the session's database, with the orders migrations applied."""
    await apply_migrations(database_url)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def dynamodb(provisioned: Any) -> AsyncIterator[Any]:
    clients = AwsClients("us-east-1")
    yield await clients.client("dynamodb")
    await clients.close()
