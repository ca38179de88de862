"""One long-lived aiobotocore client per AWS service, created inside the running loop.

Timeouts are explicit: the read timeout sits above SQS's 20 s long poll, and the connection
pool is large enough for every poller plus every concurrent handler. Credentials come from
botocore's chain (env, profile, IRSA web identity), which refreshes them before they expire.
Endpoints come from `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` when set.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, Literal, overload

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from ecommerce.platform.call_log import CallLog

if TYPE_CHECKING:  # the stubs (types-aiobotocore) type every call the code makes
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_secretsmanager import SecretsManagerClient
    from types_aiobotocore_sns import SNSClient
    from types_aiobotocore_sqs import SQSClient

LONG_POLL_SECONDS = 20


def client_config(pool_size: int = 50) -> AioConfig:
    return AioConfig(
        connect_timeout=5,
        read_timeout=LONG_POLL_SECONDS + 10,
        max_pool_connections=pool_size,
        retries={"max_attempts": 5, "mode": "adaptive"},
    )


class AwsClients:
    """Opens each service's client on first use and closes them all together."""

    def __init__(self, region: str, pool_size: int = 50) -> None:
        self._region = region
        self._config = client_config(pool_size)
        self._session = get_session()
        self._stack = AsyncExitStack()
        self._clients: dict[str, Any] = {}
        self._lock = asyncio.Lock()
        self._call_log = CallLog.from_env()

    @overload
    async def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    async def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    async def client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    async def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    async def client(self, service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
    @overload
    async def client(self, service: str) -> Any: ...

    async def client(self, service: str) -> Any:
        if service in self._clients:
            return self._clients[service]
        async with self._lock:
            if service in self._clients:
                return self._clients[service]
            context: Any = self._session.create_client(  # type: ignore[call-overload]
                service, region_name=self._region, config=self._config
            )
            self._clients[service] = await self._stack.enter_async_context(context)
            if self._call_log is not None:
                self._call_log.watch(self._clients[service])
        return self._clients[service]

    async def close(self) -> None:
        await self._stack.aclose()
        self._clients.clear()
