"""The outbox relay against real PostgreSQL and the emulator's SNS → SQS."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from ecommerce.events import OrderConfirmed, new_event
from ecommerce.orders.migrations import apply_migrations
from ecommerce.orders.outbox_relay import OutboxRelay, RelayOptions
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.messaging.publisher import EventPublisher, Outgoing

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await apply_migrations(database_url)
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=6)
    await pool.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    yield pool
    await pool.close()


@pytest.fixture
async def topic_and_queue(aws_endpoint: str) -> AsyncIterator[tuple[Any, str, str]]:
    clients = AwsClients("us-east-1")
    sns, sqs = await clients.client("sns"), await clients.client("sqs")
    name = f"relay-{uuid.uuid4().hex[:10]}"
    topic_arn = (await sns.create_topic(Name=name))["TopicArn"]
    queue_url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
    queue_arn = (await sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    yield clients, topic_arn, queue_url
    await clients.close()


async def add_rows(pool: asyncpg.Pool, count: int) -> set[str]:
    ids = set()
    for _ in range(count):
        order_id = str(uuid.uuid4())
        event = new_event(OrderConfirmed(order_id=order_id), producer="t", correlation_id=order_id)
        message = Outgoing.of(event)
        await pool.execute(
            "INSERT INTO outbox (id, event_type, body) VALUES ($1, $2, $3)",
            uuid.UUID(message.id),
            message.event_type,
            message.body,
        )
        ids.add(event.id)
    return ids


async def drain(sqs: Any, queue_url: str, expected: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    for _ in range(30):
        response = await sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        )
        received.extend(response.get("Messages", []))
        if len(received) >= expected:
            await asyncio.sleep(0.5)
            response = await sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            received.extend(response.get("Messages", []))
            break
    return received


async def test_two_relays_publish_every_row_exactly_once(
    pool: asyncpg.Pool, topic_and_queue: tuple[Any, str, str]
) -> None:
    clients, topic_arn, queue_url = topic_and_queue
    ids = await add_rows(pool, 35)
    publisher = EventPublisher(await clients.client("sns"), topic_arn)
    relays = [OutboxRelay(pool, publisher), OutboxRelay(pool, publisher)]

    async def run_dry(relay: OutboxRelay) -> None:
        while await relay.relay_once():
            pass

    await asyncio.gather(*(run_dry(relay) for relay in relays))
    assert sum(relay.published for relay in relays) == 35
    messages = await drain(await clients.client("sqs"), queue_url, 35)
    bodies = [json.loads(m["Body"]) for m in messages]
    assert sorted(b["id"] for b in bodies) == sorted(ids)
    assert {m["MessageAttributes"]["event_type"]["StringValue"] for m in messages} == {
        "OrderConfirmed"
    }


async def test_a_failed_publish_keeps_the_rows_for_the_next_round(
    pool: asyncpg.Pool, topic_and_queue: tuple[Any, str, str]
) -> None:
    clients, topic_arn, _ = topic_and_queue
    ids = await add_rows(pool, 3)
    missing_topic = topic_arn + "-missing"
    broken = OutboxRelay(
        pool,
        EventPublisher(await clients.client("sns"), missing_topic),
        RelayOptions(failure_pause_seconds=0),
    )
    assert await broken.relay_once() == 0
    waiting = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL AND id = any($1::uuid[])",
        [uuid.UUID(i) for i in ids],
    )
    assert waiting == 3
    healthy = OutboxRelay(pool, EventPublisher(await clients.client("sns"), topic_arn))
    assert await healthy.relay_once() == 3


async def test_notify_wakes_the_relay_and_prune_removes_old_rows(
    pool: asyncpg.Pool, topic_and_queue: tuple[Any, str, str]
) -> None:
    clients, topic_arn, _ = topic_and_queue
    relay = OutboxRelay(
        pool,
        EventPublisher(await clients.client("sns"), topic_arn),
        RelayOptions(poll_seconds=60, retention_seconds=0, prune_every_seconds=3600),
    )
    stopping = asyncio.Event()
    task = asyncio.create_task(relay.run(stopping))
    await asyncio.sleep(0.5)  # the relay is now waiting on LISTEN with a 60 s poll
    await add_rows(pool, 2)
    for _ in range(50):
        if relay.published >= 2:
            break
        await asyncio.sleep(0.1)
    stopping.set()
    await asyncio.wait_for(task, 5)
    assert relay.published == 2, "woken by NOTIFY well before the 60 s poll"
    assert await relay.prune() >= 2


class CuttingPublisher(EventPublisher):
    """Publishes, but first cuts every other connection to the database the first `cuts`
    times: a restart in the middle of the relay's transaction."""

    def __init__(self, sns: Any, topic_arn: str, database_url: str, cuts: int) -> None:
        super().__init__(sns, topic_arn)
        self._database_url, self.cuts = database_url, cuts

    async def publish_batch(self, messages: list[Outgoing]) -> set[str]:
        if self.cuts > 0:
            self.cuts -= 1
            connection = await asyncpg.connect(self._database_url)
            try:
                await connection.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            finally:
                await connection.close()
        return await super().publish_batch(messages)


async def test_the_relay_outlives_its_connections_being_cut(
    pool: asyncpg.Pool, topic_and_queue: tuple[Any, str, str], database_url: str
) -> None:
    """What a database restart does to its clients, in the middle of the relay's transaction."""
    clients, topic_arn, _ = topic_and_queue
    publisher = CuttingPublisher(await clients.client("sns"), topic_arn, database_url, cuts=2)
    relay = OutboxRelay(pool, publisher, RelayOptions(poll_seconds=0.2, failure_pause_seconds=0.2))
    await add_rows(pool, 3)
    stopping = asyncio.Event()
    task = asyncio.create_task(relay.run(stopping))
    for _ in range(100):
        if relay.published >= 3 or task.done():
            break
        await asyncio.sleep(0.1)
    stopping.set()
    await asyncio.wait_for(task, 10)
    assert (publisher.cuts, relay.published) == (0, 3)
