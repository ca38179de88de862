"""The gateway account the stack's payments worker charges: its key, read from the stack's
own secret, as the worker reads it."""

from __future__ import annotations

from collections.abc import Mapping

from aiobotocore.session import get_session
from devstack_runner import RunningStack

from ecommerce.devstack.environment import aws_environment
from ecommerce.payments.credentials import KEY_SECRET


async def read_stack_secret(
    stack: RunningStack, stack_environ: Mapping[str, str], name: str
) -> str:
    endpoints = stack.read()["endpoints"]
    embedded = not stack_environ.get("AWS_ENDPOINT_URL")
    env = aws_environment(
        stack_environ, endpoints["aws"], embedded=embedded, dynamodb_endpoint=None
    )
    prefix = stack_environ.get("ECOMMERCE_PREFIX", "ecommerce")
    async with get_session().create_client(
        "secretsmanager",
        region_name=env["AWS_REGION"],
        endpoint_url=env.get("AWS_ENDPOINT_URL"),
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
    ) as secrets:
        found = await secrets.get_secret_value(SecretId=f"{prefix}/{name}")
    return str(found["SecretString"])


async def gateway_auth(stack: RunningStack, stack_environ: Mapping[str, str]) -> dict[str, str]:
    """Headers that act on the payments worker's account at the gateway simulator."""
    return {"Authorization": f"Bearer {await read_stack_secret(stack, stack_environ, KEY_SECRET)}"}
