"""The stack on resources made by someone else (Terraform): check, create nothing.

With provisioning switched off (`ecommerce dev --no-provision`, or `ECOMMERCE_PROVISION=off`),
`ecommerce dev` creates no topic, queue, table, bucket or secret: it reads that every one of
`ecommerce.resources` exists under `ECOMMERCE_PREFIX`, that the token-signing secrets hold a
key set, and where the domain-events topic is. `make test-terraform` runs the stack this way on
what `infra/terraform/emulator` made.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from ecommerce.platform.aws import AwsClients
from ecommerce.resources import RESOURCES, physical, secret_id

Progress = Callable[[str], None]

PROVISION_ENV = "ECOMMERCE_PROVISION"
_OFF = {"off", "0", "false", "no"}
_KEY_SETS = ("jwt-signing-keys", "jwt-public-keys")


class NotProvisioned(RuntimeError):
    """A resource the stack needs is missing."""


def provisioning_enabled(env: Mapping[str, str] = os.environ) -> bool:
    return env.get(PROVISION_ENV, "").strip().lower() not in _OFF


async def check_provisioned(
    clients: AwsClients, *, topic_arn: str | None = None, progress: Progress
) -> str:
    """Check that every resource exists; returns the topic's ARN (`topic_arn`, else found by
    name). Raises NotProvisioned naming everything that is missing."""
    missing: list[str] = []
    topic = topic_arn or await _find_topic(await clients.client("sns"))
    if topic is None:
        missing.append(f"topic {physical(RESOURCES.topic)}")
    sqs = await clients.client("sqs")
    for queue in RESOURCES.queues:
        for name in (queue.name, queue.dlq_name):
            if not await _answers(sqs.get_queue_url(QueueName=physical(name))):
                missing.append(f"queue {physical(name)}")
    dynamodb = await clients.client("dynamodb")
    for table in RESOURCES.tables:
        if not await _answers(dynamodb.describe_table(TableName=physical(table.name))):
            missing.append(f"table {physical(table.name)}")
    s3 = await clients.client("s3")
    for bucket in RESOURCES.buckets:
        if not await _answers(s3.head_bucket(Bucket=physical(bucket))):
            missing.append(f"bucket {physical(bucket)}")
    manager = await clients.client("secretsmanager")
    for secret in RESOURCES.secrets:
        if not await _answers(manager.describe_secret(SecretId=secret_id(secret.name))):
            missing.append(f"secret {secret_id(secret.name)}")
        elif secret.name in _KEY_SETS and not await _answers(
            manager.get_secret_value(SecretId=secret_id(secret.name))
        ):
            missing.append(
                f"a value in secret {secret_id(secret.name)} "
                "(python -m ecommerce.users.keys init writes the first key set)"
            )
    if missing:
        raise NotProvisioned("provisioning is off, and these are missing: " + "; ".join(missing))
    progress(f"provisioning off: every resource of prefix {physical('')[:-1]} exists")
    assert topic is not None
    progress(f"topic    {topic}")
    return topic


async def _find_topic(sns: Any) -> str | None:
    wanted = f":{physical(RESOURCES.topic)}"
    paginator = sns.get_paginator("list_topics")
    async for page in paginator.paginate():
        for topic in page.get("Topics", []):
            arn: str = topic["TopicArn"]
            if arn.endswith(wanted):
                return arn
    return None


async def _answers(call: Any) -> bool:
    """Whether a read succeeds; False when AWS says the thing is not there."""
    try:
        await call
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status in (400, 404):
            return False
        raise
    return True
