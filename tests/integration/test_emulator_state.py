"""The local emulators keep what they hold across a restart (`devstack.moto_state`): tables and
items, queues with their messages (in-flight ones too), the DLQ link, topics and their
subscriptions, secrets, buckets and objects. Both emulators, as `ecommerce dev` runs them."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.moto_server import Emulators, start_emulators
from ecommerce.platform.aws import AwsClients

pytestmark = pytest.mark.integration


async def start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Emulators:
    emulators = await start_emulators(tmp_path / "logs", state_dir=tmp_path / "emulators")
    for key, value in aws_environment(
        dict(os.environ),
        emulators.main.url,
        embedded=True,
        dynamodb_endpoint=emulators.dynamodb.url,
    ).items():
        monkeypatch.setenv(key, value)
    return emulators


async def write_everything(clients: AwsClients) -> dict[str, Any]:
    dynamodb = await clients.client("dynamodb")
    await dynamodb.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    await dynamodb.put_item(TableName="kept", Item={"pk": {"S": "a"}, "stock": {"N": "7"}})
    sqs = await clients.client("sqs")
    dlq = (await sqs.create_queue(QueueName="kept-dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    queue = (
        await sqs.create_queue(
            QueueName="kept",
            Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
            },
        )
    )["QueueUrl"]
    sns = await clients.client("sns")
    topic = (await sns.create_topic(Name="kept"))["TopicArn"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    await sns.publish(TopicArn=topic, Message="through the topic")
    await sqs.send_message(QueueUrl=dlq, MessageBody="dead letter")
    await sqs.send_message(QueueUrl=queue, MessageBody="in flight")
    taken = await sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=1)
    assert len(taken["Messages"]) == 1
    secrets = await clients.client("secretsmanager")
    await secrets.create_secret(Name="kept", SecretString="s3cr3t")
    s3 = await clients.client("s3")
    await s3.create_bucket(Bucket="kept")
    await s3.put_object(Bucket="kept", Key="image.png", Body=b"\x89PNG image bytes")
    return {"queue": queue, "dlq": dlq, "topic": topic}


async def read_everything(clients: AwsClients, names: dict[str, Any]) -> None:
    dynamodb = await clients.client("dynamodb")
    item = (await dynamodb.get_item(TableName="kept", Key={"pk": {"S": "a"}}))["Item"]
    assert item["stock"] == {"N": "7"}
    sqs = await clients.client("sqs")
    bodies = []
    for _ in range(5):
        received = await sqs.receive_message(
            QueueUrl=names["queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        bodies += [message["Body"] for message in received.get("Messages", [])]
        if len(bodies) == 2:
            break
    assert sorted(bodies) == ["in flight", "through the topic"]
    dead = await sqs.receive_message(QueueUrl=names["dlq"], MaxNumberOfMessages=10)
    assert [message["Body"] for message in dead["Messages"]] == ["dead letter"]
    redrive = await sqs.get_queue_attributes(
        QueueUrl=names["queue"], AttributeNames=["RedrivePolicy"]
    )
    assert "kept-dlq" in redrive["Attributes"]["RedrivePolicy"]
    sns = await clients.client("sns")
    subscriptions = await sns.list_subscriptions_by_topic(TopicArn=names["topic"])
    assert len(subscriptions["Subscriptions"]) == 1
    secrets = await clients.client("secretsmanager")
    assert (await secrets.get_secret_value(SecretId="kept"))["SecretString"] == "s3cr3t"
    s3 = await clients.client("s3")
    with contextlib.suppress(ClientError):  # as provisioning does on every start
        await s3.create_bucket(Bucket="kept")
    body = await (await s3.get_object(Bucket="kept", Key="image.png"))["Body"].read()
    assert body == b"\x89PNG image bytes"


async def test_what_the_emulators_hold_survives_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulators = await start(tmp_path, monkeypatch)
    clients = AwsClients("us-east-1")
    try:
        names = await write_everything(clients)
    finally:
        await clients.close()
        await emulators.stop()
    assert {path.name for path in (tmp_path / "emulators").iterdir()} == {
        "moto.pickle",
        "moto-dynamodb.pickle",
    }

    emulators = await start(tmp_path, monkeypatch)
    clients = AwsClients("us-east-1")
    try:
        await read_everything(clients, names)
    finally:
        await clients.close()
        await emulators.stop()
