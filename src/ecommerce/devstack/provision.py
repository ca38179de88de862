"""Create every AWS resource of `ecommerce.resources`, idempotently.

Works against moto and LocalStack (and AWS itself): every step first looks at what exists and
converges it, so running it twice, or on a half-provisioned account, is fine. Physical names
carry `ECOMMERCE_PREFIX` (see `resources.physical` and `resources.secret_id`).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set, jwks_of
from ecommerce.resources import (
    RESOURCES,
    BucketNotification,
    Index,
    Queue,
    Table,
    physical,
    secret_id,
)

Progress = Callable[[str], None]

SIGNING_SECRET = "jwt-signing-keys"
JWKS_SECRET = "jwt-public-keys"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
_NO_QUEUE = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}
DEV_SECRET_PREFIXES = {"payment-gateway-key": "sk_test_", "payment-webhook-secrets": "whsec_"}
"""A dev secret's generated value starts so: the gateway simulator takes any `sk_test_` key as
an account of its own, as Stripe's test mode does."""
_NO_SECRET = {"ResourceNotFoundException"}


async def provision(clients: AwsClients, *, progress: Progress | None = None) -> str:
    """Topic, queues with DLQs and subscriptions, tables, buckets and secrets.

    Returns the topic's ARN, which the services are given as ECOMMERCE_TOPIC_ARN: its account
    differs between emulators (moto 123456789012, LocalStack 000000000000) and AWS.
    """
    say = progress or _print
    sns = await clients.client("sns")
    sqs = await clients.client("sqs")
    topic_arn: str = (await sns.create_topic(Name=physical(RESOURCES.topic)))["TopicArn"]
    say(f"topic    {topic_arn}")
    async with asyncio.TaskGroup() as group:
        for queue in RESOURCES.queues:
            group.create_task(_provision_queue(sqs, sns, topic_arn, queue, say))
        for table in RESOURCES.tables:
            group.create_task(_provision_table(await clients.client("dynamodb"), table, say))
        for bucket in RESOURCES.buckets:
            group.create_task(_provision_bucket(await clients.client("s3"), bucket, say))
        group.create_task(_provision_secrets(await clients.client("secretsmanager"), say))
    for notification in RESOURCES.bucket_notifications:
        await _provision_bucket_notification(sqs, await clients.client("s3"), notification, say)
    return topic_arn


def subscription_attributes(queue: Queue) -> dict[str, str]:
    """Raw delivery (the body is the event itself) and a filter on `event_type`."""
    return {
        "RawMessageDelivery": "true",
        "FilterPolicyScope": "MessageAttributes",
        "FilterPolicy": json.dumps({"event_type": sorted(queue.event_types)}),
    }


def redrive_policy(dlq_arn: str, queue: Queue) -> str:
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count})


def queue_policy(queue_arn: str, topic_arn: str) -> str:
    """Lets the topic (and only it) deliver into the queue, as AWS requires."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "domain-events-fan-out",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
                }
            ],
        }
    )


def bucket_queue_policy(queue_arn: str, bucket_arn: str) -> str:
    """Lets the bucket (and only it) send its event notifications into the queue."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "bucket-notifications",
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": bucket_arn}},
                }
            ],
        }
    )


async def _provision_queue(sqs: Any, sns: Any, topic_arn: str, queue: Queue, say: Progress) -> None:
    _, dlq_arn = await _ensure_queue(
        sqs, physical(queue.dlq_name), {"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )
    attributes = {
        "VisibilityTimeout": str(queue.visibility_timeout),
        "RedrivePolicy": redrive_policy(dlq_arn, queue),
    }
    queue_url, queue_arn = await _ensure_queue(sqs, physical(queue.name), attributes)
    detail = f"dlq after {queue.max_receive_count} receives, visibility {queue.visibility_timeout}s"
    if queue.event_types:
        await sqs.set_queue_attributes(
            QueueUrl=queue_url, Attributes={"Policy": queue_policy(queue_arn, topic_arn)}
        )
        await _ensure_subscription(sns, topic_arn, queue_arn, subscription_attributes(queue))
        detail += f", gets {', '.join(queue.event_types)}"
    say(f"queue    {physical(queue.name)} ({detail})")


async def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    try:
        url: str = (await sqs.get_queue_url(QueueName=name))["QueueUrl"]
    except ClientError as error:
        if _code(error) not in _NO_QUEUE:
            raise
        url = (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"]
    else:
        await sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    found = await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, found["Attributes"]["QueueArn"]


async def _ensure_subscription(
    sns: Any, topic_arn: str, queue_arn: str, attributes: dict[str, str]
) -> str:
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    async for page in paginator.paginate(TopicArn=topic_arn):
        for subscription in page.get("Subscriptions", []):
            arn: str = subscription["SubscriptionArn"]
            if subscription.get("Endpoint") == queue_arn and arn.startswith("arn:"):
                for name, value in attributes.items():
                    await sns.set_subscription_attributes(
                        SubscriptionArn=arn, AttributeName=name, AttributeValue=value
                    )
                return arn
    created = await sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    subscription_arn: str = created["SubscriptionArn"]
    return subscription_arn


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
    return [{"AttributeName": key, "KeyType": kind} for key, kind in keys]


def _index(index: Index) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.hash_key, index.range_key),
        "Projection": {"ProjectionType": "ALL"},
    }


async def _provision_table(dynamodb: Any, table: Table, say: Progress) -> None:
    name = physical(table.name)
    keys = [table.hash_key, table.range_key] + [
        k for i in table.gsis for k in (i.hash_key, i.range_key)
    ]
    definitions = [
        {"AttributeName": k, "AttributeType": "S"} for k in dict.fromkeys(filter(None, keys))
    ]
    indexes = {"GlobalSecondaryIndexes": [_index(i) for i in table.gsis]} if table.gsis else {}
    try:
        await dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=definitions,
            KeySchema=_key_schema(table.hash_key, table.range_key),
            BillingMode="PAY_PER_REQUEST",
            **indexes,
        )
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise
    waiter = dynamodb.get_waiter("table_exists")
    await waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    described = (await dynamodb.describe_table(TableName=name))["Table"]
    present = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
    for index in table.gsis:
        if index.name not in present:  # a table made before the index was declared
            await dynamodb.update_table(
                TableName=name,
                AttributeDefinitions=definitions,
                GlobalSecondaryIndexUpdates=[{"Create": _index(index)}],
            )
            await waiter.wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if table.ttl_attribute:
        ttl = await dynamodb.describe_time_to_live(TableName=name)
        if ttl["TimeToLiveDescription"].get("AttributeName") != table.ttl_attribute:
            await dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": table.ttl_attribute, "Enabled": True},
            )
    key = " + ".join(filter(None, (table.hash_key, table.range_key)))
    say(f"table    {name} (key {key}{''.join(f', index {i.name}' for i in table.gsis)}, on demand)")


async def _provision_bucket(s3: Any, bucket: str, say: Progress) -> None:
    name = physical(bucket)
    region = s3.meta.region_name
    options: dict[str, Any] = {}
    if region and region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        await s3.create_bucket(Bucket=name, **options)
    except ClientError as error:
        if _code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    say(f"bucket   {name}")


async def _provision_bucket_notification(
    sqs: Any, s3: Any, notification: BucketNotification, say: Progress
) -> None:
    """The queue's policy lets the bucket send (AWS checks it), then the bucket's configuration."""
    bucket = physical(notification.bucket)
    queue_url, queue_arn = await _ensure_queue(sqs, physical(notification.queue), {})
    await sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"Policy": bucket_queue_policy(queue_arn, f"arn:aws:s3:::{bucket}")},
    )
    wanted = [
        {
            "Id": f"{notification.queue}-{notification.prefix.strip('/')}",
            "QueueArn": queue_arn,
            "Events": list(notification.events),
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": notification.prefix}]}},
        }
    ]
    current = await s3.get_bucket_notification_configuration(Bucket=bucket)
    if current.get("QueueConfigurations") != wanted:
        await s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": wanted}
        )
        await _drop_test_event(sqs, queue_url)
    say(f"notify   {bucket}/{notification.prefix}* -> {physical(notification.queue)}")


async def _drop_test_event(sqs: Any, queue_url: str) -> None:
    """S3 answers a new configuration with an `s3:TestEvent` message; take it out if it is
    already there (best effort: a consumer ignores it anyway), and hand back anything else."""
    received = await sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    for message in received.get("Messages", []):
        handle = message["ReceiptHandle"]
        if '"s3:TestEvent"' in message.get("Body", ""):
            await sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=handle)
        else:
            await sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0
            )


async def _provision_secrets(manager: Any, say: Progress) -> None:
    descriptions = {secret.name: secret.description for secret in RESOURCES.secrets}
    signing = await _secret_value(manager, secret_id(SIGNING_SECRET))
    jwks = await _secret_value(manager, secret_id(JWKS_SECRET))
    if signing is None:
        signing, new_jwks = generate_key_set()
        await _create_secret(manager, SIGNING_SECRET, signing, descriptions, say)
        if jwks is None:
            await _create_secret(manager, JWKS_SECRET, new_jwks, descriptions, say)
        else:
            # The private keys are gone: publish the new key, nothing can sign with the old.
            await manager.put_secret_value(SecretId=secret_id(JWKS_SECRET), SecretString=new_jwks)
            say(f"secret   {secret_id(JWKS_SECRET)} (replaced: new signing key)")
    elif jwks is None:
        key = current_signing_key(signing)
        derived = json.dumps(jwks_of([(key.kid, key.private_key.public_key())]))
        await _create_secret(manager, JWKS_SECRET, derived, descriptions, say)
    for secret in RESOURCES.secrets:
        if secret.name in (SIGNING_SECRET, JWKS_SECRET):
            continue
        if await _secret_value(manager, secret_id(secret.name)) is None:
            # A secret with no generator of its own gets a random value in dev.
            value = DEV_SECRET_PREFIXES.get(secret.name, "") + secrets.token_urlsafe(32)
            await _create_secret(manager, secret.name, value, descriptions, say)
    for secret in RESOURCES.secrets:
        say(f"secret   {secret_id(secret.name)}")


async def _secret_value(manager: Any, name: str) -> str | None:
    try:
        found = await manager.get_secret_value(SecretId=name)
    except ClientError as error:
        if _code(error) in _NO_SECRET:
            return None
        raise
    value: str | None = found.get("SecretString")
    return value


async def _create_secret(
    manager: Any, name: str, value: str, descriptions: dict[str, str], say: Progress
) -> None:
    try:
        await manager.create_secret(
            Name=secret_id(name), Description=descriptions.get(name, name), SecretString=value
        )
    except ClientError as error:
        if _code(error) != "ResourceExistsException":
            raise
        say(f"secret   {secret_id(name)} was created concurrently; keeping that one")


async def deprovision(clients: AwsClients, *, progress: Progress | None = None) -> None:
    """Delete everything `provision` creates (for test sessions against a shared emulator)."""
    say = progress or _print
    sns = await clients.client("sns")
    sqs = await clients.client("sqs")
    dynamodb = await clients.client("dynamodb")
    s3 = await clients.client("s3")
    manager = await clients.client("secretsmanager")
    topic_arn: str = (await sns.create_topic(Name=physical(RESOURCES.topic)))["TopicArn"]
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    async for page in paginator.paginate(TopicArn=topic_arn):
        for subscription in page.get("Subscriptions", []):
            if subscription["SubscriptionArn"].startswith("arn:"):
                await _ignore_missing(
                    sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
                )
    await sns.delete_topic(TopicArn=topic_arn)
    for queue in RESOURCES.queues:
        for name in (queue.name, queue.dlq_name):
            try:
                url = (await sqs.get_queue_url(QueueName=physical(name)))["QueueUrl"]
            except ClientError as error:
                if _code(error) in _NO_QUEUE:
                    continue
                raise
            await sqs.delete_queue(QueueUrl=url)
    for table in RESOURCES.tables:
        await _ignore_missing(dynamodb.delete_table(TableName=physical(table.name)))
    for bucket in RESOURCES.buckets:
        await _empty_and_delete_bucket(s3, physical(bucket))
    for secret in RESOURCES.secrets:
        await _ignore_missing(
            manager.delete_secret(SecretId=secret_id(secret.name), ForceDeleteWithoutRecovery=True)
        )
    say(f"deleted the resources of prefix {physical('')[:-1]}")


async def _empty_and_delete_bucket(s3: Any, name: str) -> None:
    try:
        paginator = s3.get_paginator("list_object_versions")
        async for page in paginator.paginate(Bucket=name):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                await s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        await s3.delete_bucket(Bucket=name)
    except ClientError as error:
        if _code(error) != "NoSuchBucket":
            raise


async def _ignore_missing(call: Any) -> None:
    try:
        await call
    except ClientError as error:
        if _code(error) not in ("ResourceNotFoundException", "NotFound", "NotFoundException"):
            raise


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _print(message: str) -> None:
    print(message, flush=True)
