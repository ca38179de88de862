"""Fixtures shared by the integration tests of the workers' use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from recording import RecordingPublisher

from ecommerce.platform.aws import AwsClients


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def dynamodb(provisioned: Any) -> AsyncIterator[Any]:
    clients = AwsClients("us-east-1")
    yield await clients.client("dynamodb")
    await clients.close()
