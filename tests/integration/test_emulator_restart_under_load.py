"""An AWS emulator stopped (SIGTERM) while clients write, then started again on its state, has
every message and item a client was told it stored, as the chaos soak's emulator restarts
need: an acknowledged publish that a restart dropped would leave its order stuck."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.moto_server import start_moto
from ecommerce.platform.aws import AwsClients

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

WRITERS = 24


async def test_a_restart_under_load_loses_no_acknowledged_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "moto.pickle"
    server = await start_moto(tmp_path / "moto.log", state=state, snapshot_every=0)
    for key, value in aws_environment(dict(os.environ), server.url, embedded=True).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    clients = AwsClients("us-east-1")
    try:
        sqs = await clients.client("sqs")
        dynamodb = await clients.client("dynamodb")
        queue = (await sqs.create_queue(QueueName="kept-under-load"))["QueueUrl"]
        await dynamodb.create_table(
            TableName="kept-under-load",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        acknowledged: set[str] = set()
        stop = asyncio.Event()

        async def write(writer: int) -> None:
            sent = 0
            while not stop.is_set():
                body = f"w{writer}-{sent}"
                sent += 1
                try:
                    await sqs.send_message(QueueUrl=queue, MessageBody=body)
                    await dynamodb.put_item(TableName="kept-under-load", Item={"pk": {"S": body}})
                except (BotoCoreError, ClientError):
                    continue  # not acknowledged: may or may not be kept
                acknowledged.add(body)

        writers = [asyncio.create_task(write(n)) for n in range(WRITERS)]
        await asyncio.sleep(1.5)
        server.process.send_signal(signal.SIGTERM)
        await server.process.wait()
        stop.set()
        await asyncio.gather(*writers)
        assert acknowledged, "no write was acknowledged before the stop"

        port = urlsplit(server.url).port
        server = await start_moto(tmp_path / "moto.log", port=port, state=state, snapshot_every=0)
        kept = await _bodies(sqs, queue)
        items = await _keys(dynamodb, "kept-under-load")
        assert sorted(acknowledged - kept) == [], "acknowledged messages lost by the restart"
        assert sorted(acknowledged - items) == [], "acknowledged items lost by the restart"
    finally:
        await clients.close()
        await server.stop()


async def _bodies(sqs: Any, queue: str) -> set[str]:
    seen: set[str] = set()
    empty = 0
    while empty < 2:
        answer = await sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=300
        )
        messages = answer.get("Messages", [])
        empty = 0 if messages else empty + 1
        seen.update(message["Body"] for message in messages)
    return seen


async def _keys(dynamodb: Any, table: str) -> set[str]:
    keys: set[str] = set()
    paginator = dynamodb.get_paginator("scan")
    async for page in paginator.paginate(TableName=table):
        keys.update(item["pk"]["S"] for item in page["Items"])
    return keys
