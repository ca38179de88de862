"""The local emulator's fixes (`ecommerce.devstack.moto_fixes`) keep AWS's behaviour: a
cancelled transaction leaves every item as it was, and receives still honour retention."""

from __future__ import annotations

import io
import os
import uuid
from typing import Any

import aiohttp
import pytest
from botocore.exceptions import ClientError

from ecommerce.devstack.emulator_calls import operation_of
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical

pytestmark = pytest.mark.integration


def key(name: str) -> dict[str, Any]:
    return {"pk": {"S": name}}


async def stock_of(dynamodb: Any, name: str) -> int | None:
    item = (
        await dynamodb.get_item(TableName=physical("products"), Key=key(name), ConsistentRead=True)
    ).get("Item")
    return None if item is None else int(item["stock"]["N"])


async def test_a_cancelled_transaction_puts_back_every_item_it_touched(dynamodb: Any) -> None:
    table = physical("products")
    first, second, created = (f"EMU#{uuid.uuid4().hex}" for _ in range(3))
    for name, stock in ((first, 5), (second, 1)):
        await dynamodb.put_item(TableName=table, Item={**key(name), "stock": {"N": str(stock)}})
    take = "SET stock = stock - :q"
    with pytest.raises(ClientError) as raised:
        await dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**key(created), "stock": {"N": "9"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(first),
                        "UpdateExpression": take,
                        "ConditionExpression": "stock >= :q",
                        "ExpressionAttributeValues": {":q": {"N": "2"}},
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(second),
                        "UpdateExpression": take,
                        "ConditionExpression": "stock >= :q",
                        "ExpressionAttributeValues": {":q": {"N": "2"}},
                    }
                },
            ]
        )
    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert await stock_of(dynamodb, first) == 5
    assert await stock_of(dynamodb, second) == 1
    assert await stock_of(dynamodb, created) is None


async def test_a_committed_transaction_writes_every_item(dynamodb: Any) -> None:
    table = physical("products")
    name = f"EMU#{uuid.uuid4().hex}"
    await dynamodb.put_item(TableName=table, Item={**key(name), "stock": {"N": "3"}})
    await dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": table,
                    "Key": key(name),
                    "UpdateExpression": "SET stock = stock - :q",
                    "ConditionExpression": "stock >= :q",
                    "ExpressionAttributeValues": {":q": {"N": "3"}},
                }
            }
        ]
    )
    assert await stock_of(dynamodb, name) == 0


async def test_a_receive_hands_out_retained_messages(provisioned: str) -> None:
    clients = AwsClients("us-east-1")
    try:
        sqs = await clients.client("sqs")
        url = (await sqs.create_queue(QueueName=f"emu-{uuid.uuid4().hex[:8]}"))["QueueUrl"]
        await sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)]
        )
        received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        assert sorted(m["Body"] for m in received["Messages"]) == [f"m{i}" for i in range(10)]
        await sqs.delete_queue(QueueUrl=url)
    finally:
        await clients.close()


async def test_the_emulators_run_apart(provisioned: str) -> None:
    """DynamoDB has its own emulator process in the suite, as in `ecommerce dev`."""
    dynamodb = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if not dynamodb or os.environ.get("AWS_ENDPOINT_URL") == dynamodb:
        pytest.skip("DynamoDB and the rest share one endpoint here")
    async with aiohttp.ClientSession() as session, session.get(f"{dynamodb}/moto-api/") as answer:
        assert answer.status == 200


def test_calls_are_named_by_service_and_operation() -> None:
    body = b"Action=Publish&TopicArn=x"
    assert operation_of({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.GetItem"}) == "dynamodb GetItem"
    assert operation_of({"HTTP_X_AMZ_TARGET": "AmazonSQS.ReceiveMessage"}) == "sqs ReceiveMessage"
    form = {
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/sns/aws4_request",
        "wsgi.input": io.BytesIO(body),
    }
    assert operation_of(form) == "sns Publish"
    stream = form["wsgi.input"]
    assert (
        isinstance(stream, io.BytesIO) and stream.read() == body
    )  # left for the application to read
