"""Provisioning against the AWS emulator: every resource, its settings, and idempotence."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ecommerce.devstack.provision import provision
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.jwt_keys import PublicKey, current_signing_key, public_keys
from ecommerce.resources import RESOURCES, physical, secret_id

pytestmark = pytest.mark.integration


@pytest.fixture
async def clients(provisioned: str) -> AsyncIterator[AwsClients]:
    clients = AwsClients("us-east-1")
    yield clients
    await clients.close()


async def queue_url(sqs: Any, name: str) -> str:
    url: str = (await sqs.get_queue_url(QueueName=physical(name)))["QueueUrl"]
    return url


async def queue_attributes(sqs: Any, name: str) -> dict[str, str]:
    found = await sqs.get_queue_attributes(
        QueueUrl=await queue_url(sqs, name), AttributeNames=["All"]
    )
    attributes: dict[str, str] = found["Attributes"]
    return attributes


async def topic_arn(sns: Any) -> str:
    arn: str = (await sns.create_topic(Name=physical(RESOURCES.topic)))["TopicArn"]
    return arn


async def subscriptions(sns: Any) -> dict[str, dict[str, str]]:
    """Subscription attributes by the endpoint (queue ARN)."""
    found: dict[str, dict[str, str]] = {}
    arn = await topic_arn(sns)
    paginator = sns.get_paginator("list_subscriptions_by_topic")
    async for page in paginator.paginate(TopicArn=arn):
        for subscription in page["Subscriptions"]:
            attributes = await sns.get_subscription_attributes(
                SubscriptionArn=subscription["SubscriptionArn"]
            )
            assert subscription["Endpoint"] not in found, "duplicate subscription"
            found[subscription["Endpoint"]] = attributes["Attributes"]
    return found


async def secret(clients: AwsClients, name: str) -> str:
    manager = await clients.client("secretsmanager")
    value: str = (await manager.get_secret_value(SecretId=secret_id(name)))["SecretString"]
    return value


async def test_names_carry_the_session_prefix(provisioned: str) -> None:
    assert physical("orders") == f"{provisioned}-orders"


async def test_every_queue_has_its_dlq_redrive_and_visibility(clients: AwsClients) -> None:
    sqs = await clients.client("sqs")
    for queue in RESOURCES.queues:
        attributes = await queue_attributes(sqs, queue.name)
        dlq = await queue_attributes(sqs, queue.dlq_name)
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq["QueueArn"], queue.name
        assert int(redrive["maxReceiveCount"]) == queue.max_receive_count
        assert int(attributes["VisibilityTimeout"]) == queue.visibility_timeout
        assert "RedrivePolicy" not in dlq


async def test_fed_queues_are_subscribed_raw_with_a_filter_on_event_type(
    clients: AwsClients,
) -> None:
    sqs, sns = await clients.client("sqs"), await clients.client("sns")
    found = await subscriptions(sns)
    for queue in RESOURCES.queues:
        arn = (await queue_attributes(sqs, queue.name))["QueueArn"]
        if not queue.event_types:
            assert arn not in found, f"{queue.name} is not fed by the topic"
            continue
        attributes = found[arn]
        assert attributes["Protocol"] == "sqs"
        assert attributes["RawMessageDelivery"] == "true"
        assert attributes.get("FilterPolicyScope", "MessageAttributes") == "MessageAttributes"
        policy = json.loads(attributes["FilterPolicy"])
        assert sorted(policy["event_type"]) == sorted(queue.event_types)


async def test_an_event_reaches_exactly_the_queues_that_want_it_raw(clients: AwsClients) -> None:
    sqs, sns = await clients.client("sqs"), await clients.client("sns")
    body = json.dumps({"id": str(uuid.uuid4()), "type": "InventoryReserved", "payload": {}})
    await sns.publish(
        TopicArn=await topic_arn(sns),
        Message=body,
        MessageAttributes={
            "event_type": {"DataType": "String", "StringValue": "InventoryReserved"}
        },
    )
    wanted = {q.name for q in RESOURCES.queues if "InventoryReserved" in q.event_types}
    assert wanted == {"orders", "payments"}
    for queue in RESOURCES.queues:
        url = await queue_url(sqs, queue.name)
        # Other tests of the session publish too (the catalog's ProductChanged): only this
        # event's copies count, wherever they are in the queue.
        messages: list[Any] = []
        for _ in range(20):
            received = await sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=2 if queue.name in wanted else 1,
                MessageAttributeNames=["All"],
                VisibilityTimeout=60,
            )
            batch = received.get("Messages", [])
            messages += [m for m in batch if m["Body"] == body]
            if messages or not batch:
                break
        if queue.name not in wanted:
            assert messages == [], queue.name
            continue
        assert len(messages) == 1, "raw delivery: the body is the event, once"
        attribute = messages[0]["MessageAttributes"]["event_type"]["StringValue"]
        assert attribute == "InventoryReserved"
        await sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])


async def test_tables_are_on_demand_with_a_string_hash_key(clients: AwsClients) -> None:
    dynamodb = await clients.client("dynamodb")
    for table in RESOURCES.tables:
        description = (await dynamodb.describe_table(TableName=physical(table.name)))["Table"]
        assert description["TableStatus"] == "ACTIVE"
        assert description["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
        assert {"AttributeName": "pk", "AttributeType": "S"} in description["AttributeDefinitions"]
        assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


async def test_tables_with_a_ttl_attribute_expire_items_by_it(clients: AwsClients) -> None:
    dynamodb = await clients.client("dynamodb")
    expiring = [table for table in RESOURCES.tables if table.ttl_attribute]
    assert expiring, "the products table's reservations expire"
    for table in expiring:
        ttl = await dynamodb.describe_time_to_live(TableName=physical(table.name))
        assert ttl["TimeToLiveDescription"]["AttributeName"] == table.ttl_attribute
        assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")


async def test_buckets_exist(clients: AwsClients) -> None:
    s3 = await clients.client("s3")
    for bucket in RESOURCES.buckets:
        await s3.head_bucket(Bucket=physical(bucket))


def der(key: PublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


async def test_the_signing_secret_and_the_jwks_are_one_key_set(clients: AwsClients) -> None:
    signing = current_signing_key(await secret(clients, "jwt-signing-keys"))
    published = public_keys(await secret(clients, "jwt-public-keys"))
    assert signing.kid in published
    assert signing.algorithm == "RS256"  # what API Gateway's JWT authorizer accepts
    assert der(published[signing.kid]) == der(signing.private_key.public_key())


async def test_provisioning_again_keeps_secrets_and_adds_nothing(clients: AwsClients) -> None:
    sns = await clients.client("sns")
    before = (
        await secret(clients, "jwt-signing-keys"),
        await secret(clients, "jwt-public-keys"),
        await subscriptions(sns),
    )
    await provision(clients, progress=lambda _: None)
    after = (
        await secret(clients, "jwt-signing-keys"),
        await secret(clients, "jwt-public-keys"),
        await subscriptions(sns),
    )
    assert before == after


async def test_provisioning_converges_drifted_settings(clients: AwsClients) -> None:
    sqs, sns = await clients.client("sqs"), await clients.client("sns")
    queue = RESOURCES.queue("inventory")
    url = await queue_url(sqs, queue.name)
    await sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})
    arn = (await queue_attributes(sqs, queue.name))["QueueArn"]
    subscription_arn = (await subscriptions(sns))[arn]["SubscriptionArn"]
    await sns.set_subscription_attributes(
        SubscriptionArn=subscription_arn,
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"event_type": ["Nothing"]}),
    )

    await provision(clients, progress=lambda _: None)

    assert int((await queue_attributes(sqs, queue.name))["VisibilityTimeout"]) == 30
    policy = json.loads((await subscriptions(sns))[arn]["FilterPolicy"])
    assert sorted(policy["event_type"]) == sorted(queue.event_types)


async def test_a_missing_jwks_is_derived_from_the_signing_keys(clients: AwsClients) -> None:
    manager = await clients.client("secretsmanager")
    signing_before = await secret(clients, "jwt-signing-keys")
    await manager.delete_secret(
        SecretId=secret_id("jwt-public-keys"), ForceDeleteWithoutRecovery=True
    )

    await provision(clients, progress=lambda _: None)

    assert await secret(clients, "jwt-signing-keys") == signing_before
    signing = current_signing_key(signing_before)
    assert signing.kid in public_keys(await secret(clients, "jwt-public-keys"))
