"""The orders services' PostgreSQL pool, and how its connections sign in.

Locally DATABASE_URL carries whatever the server wants (the embedded server trusts). In AWS
(`DATABASE_IAM_AUTH=true`, from Terraform's app.env) DATABASE_URL names a user without a
password, and each new connection signs in with an RDS IAM authentication token made for that
user, host and port with the pod's own role (`rds-db:connect`; a token is good for 15 minutes,
and asyncpg asks for one per new connection). So no service holds a database password, and
RDS's rotation of the master password never reaches them. TLS comes from DATABASE_URL too
(`sslmode=verify-full` against the RDS CA bundle the image carries).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import asyncpg

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings

DEFAULT_PORT = 5432


def iam_token_source(
    clients: AwsClients, database_url: str, region: str
) -> Callable[[], Awaitable[str]]:
    """A password callable for asyncpg: a fresh RDS IAM token for DATABASE_URL's user."""
    url = urlsplit(database_url)
    if not url.hostname or not url.username:
        raise ValueError("DATABASE_URL names no host or no user to sign in as with IAM")
    if url.password:
        raise ValueError("DATABASE_URL holds a password: with DATABASE_IAM_AUTH it must not")
    host, user, port = url.hostname, url.username, url.port or DEFAULT_PORT

    async def token() -> str:
        rds = await clients.client("rds")
        signed: str = await rds.generate_db_auth_token(
            DBHostname=host, Port=port, DBUsername=user, Region=region
        )
        return signed

    return token


async def create_pool(
    settings: Settings,
    clients: AwsClients,
    *,
    min_size: int,
    max_size: int,
    reset: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> asyncpg.Pool:
    """The process's one pool, signing in as the settings say (`reset`: asyncpg's, on release)."""
    password = (
        iam_token_source(clients, settings.database_url, settings.region)
        if settings.database_iam_auth
        else None
    )
    pool: asyncpg.Pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=min_size,
        max_size=max_size,
        password=password,
        reset=reset,
    )
    return pool
