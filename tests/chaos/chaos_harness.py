"""What the chaos tier runs and reads: real worker processes, the topic, the gateway, the stores.

- `WorkerProcess`: `python -m workers.<name>` as a child, its JSON log lines read as they come.
- `Observer`: an SQS queue of the test's own subscribed to the domain-events topic (raw
  delivery, no filter), so a test sees every event the workers publish.
- `Gateway`: the payment gateway simulator served in the test's loop, counting its API calls.
- Builders for event envelopes, and readers for what the stores recorded.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler

from ecommerce.catalog.products.product_items import product_item_key
from ecommerce.events import (
    Envelope,
    InventoryRejected,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PaymentFailed,
    PaymentSucceeded,
    new_event,
)
from ecommerce.gateway_sim import create_app
from ecommerce.gateway_sim.config import Latency, SimConfig
from ecommerce.ops.reconcile import Sources, compare, render
from ecommerce.orders import domain
from ecommerce.orders.domain import Decision, Order, Status
from ecommerce.orders.placement import RequestedLine, price_order
from ecommerce.orders.store import OrderStore
from ecommerce.payments.credentials import KEY_SECRET, FixedApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.ledger import Ledger
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical, secret_id

REPO = Path(__file__).resolve().parents[2]
UNIT_PRICE = 250

GRACE_SECONDS = 4.0
"""WORKER_GRACE_SECONDS for every worker the tier starts, unless a test says otherwise."""


# ---------------------------------------------------------------------------------- waiting


async def wait_until(
    check: Callable[[], bool],
    within: float,
    what: str,
    details: Callable[[], str] | None = None,
) -> None:
    """Poll `check` until it holds; fail with `what` (and `details()`) after `within` s."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}{extra}")
        await asyncio.sleep(0.1)


async def wait_until_async(
    check: Callable[[], Awaitable[bool]],
    within: float,
    what: str,
    details: Callable[[], str] | None = None,
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}{extra}")
        await asyncio.sleep(0.2)


# ---------------------------------------------------------------------------------- workers


class WorkerProcess:
    """One `python -m workers.<name>` child and everything it printed, parsed."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, env: dict[str, str]):
        self.name = name
        self.process = process
        self.env = env
        self.raw: list[str] = []
        self.lines: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read(), name=f"read-{name}")

    @classmethod
    async def start(cls, name: str, env: Mapping[str, str]) -> WorkerProcess:
        environment = dict(env)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"workers.{name}",
            cwd=REPO,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            limit=4 * 1024 * 1024,
        )
        return cls(name, process, environment)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            text = raw.decode(errors="replace").rstrip("\n")
            self.raw.append(text)
            try:
                parsed = json.loads(text)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                self.lines.append(parsed)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def logged(self, event: str, **fields: object) -> list[dict[str, Any]]:
        """The log lines of `event` whose fields include every one of `fields`."""
        return [
            line
            for line in self.lines
            if line.get("event") == event
            and all(line.get(name) == value for name, value in fields.items())
        ]

    def handled(self, event_id: str) -> list[dict[str, Any]]:
        return self.logged("message_handled", event_id=event_id)

    def tail(self, count: int = 60) -> str:
        return f"--- last lines of {self.name} (pid {self.pid}) ---\n" + "\n".join(
            self.raw[-count:]
        )

    async def wait_handled(self, expected: Mapping[str, int], within: float) -> None:
        """Until the worker logged `message_handled` at least n times for each event id."""

        def done() -> bool:
            counts = Counter(line.get("event_id") for line in self.logged("message_handled"))
            return all(counts[event_id] >= n for event_id, n in expected.items())

        await wait_until(
            lambda: done() or self.returncode is not None,
            within,
            f"{self.name} to handle {dict(expected)}",
            self.tail,
        )
        assert done(), f"{self.name} exited (code {self.returncode})\n{self.tail()}"

    async def wait_exit(self, within: float) -> int:
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(
                f"{self.name} still running {within:.1f}s later\n{self.tail()}"
            ) from None
        await self._finish_reading()
        return code

    def signal(self, sig: signal.Signals) -> None:
        if self.process.returncode is None:
            self.process.send_signal(sig)

    async def terminate(self, within: float) -> int:
        """SIGTERM, then the exit code (SIGKILL and fail if it takes longer than `within`)."""
        self.signal(signal.SIGTERM)
        try:
            return await self.wait_exit(within)
        except AssertionError:
            await self.kill()
            raise

    async def kill(self) -> None:
        self.signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 30)
        await self._finish_reading()

    async def _finish_reading(self) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), 10)
        except TimeoutError:
            self._reader.cancel()


def worker_environment(
    base: Mapping[str, str], extra: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith("ECOMMERCE_CRASH_") and not key.startswith("PYTEST_")
    }
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# --------------------------------------------------------------------------------- the topic


@dataclass
class Observer:
    """A queue of the test's own on the domain-events topic: every published event lands here."""

    sqs: Any
    url: str
    events: list[Envelope] = field(default_factory=list)

    @classmethod
    async def create(cls, sqs: Any, sns: Any, topic_arn: str) -> Observer:
        name = physical(f"observer-{uuid.uuid4().hex[:8]}")
        url = (await sqs.create_queue(QueueName=name))["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        await sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        return cls(sqs, url)

    async def drain(self) -> list[Envelope]:
        """Take in everything delivered so far; returns all events observed since the start."""
        while True:
            response = await self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = response.get("Messages", [])
            if not messages:
                return self.events
            for message in messages:
                self.events.append(Envelope.model_validate_json(message["Body"]))
            await self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages)
                ],
            )

    async def of(self, order_id: str, event_type: str | None = None) -> list[Envelope]:
        await self.drain()
        return [
            event
            for event in self.events
            if event.correlation_id == order_id and (event_type is None or event.type == event_type)
        ]


# ------------------------------------------------------------------------------- the gateway


class Gateway:
    """The gateway simulator in the test's own loop; counts every API call it answers."""

    def __init__(self, latency_ms: int = 0, failing_charges: int = 0) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        """API calls answered, by (method, path)."""
        self.calls_started = 0
        """API calls received, answered or not."""
        self.failing_charges = failing_charges
        """How many charges, from the first, get a transient 503 (nothing done, as Stripe)."""
        app = create_app(SimConfig(latency=Latency(latency_ms, latency_ms)))
        app.middlewares.insert(0, self._arrived)
        app.on_response_prepare.append(self._count)
        self._server = TestServer(app, host="127.0.0.1")
        self._session: aiohttp.ClientSession | None = None
        self._key: str | None = None

    @web.middleware
    async def _arrived(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/v1/"):
            self.calls_started += 1
        charge = (request.method, request.path) == ("POST", "/v1/payment_intents")
        if charge and self.failing_charges > 0:
            self.failing_charges -= 1
            error = {"type": "api_error", "message": "Temporarily unavailable (chaos)."}
            return web.json_response({"error": error}, status=503)
        return await handler(request)

    async def _count(self, request: web.Request, _: web.StreamResponse) -> None:
        if request.path.startswith("/v1/"):
            self.calls[(request.method, request.path)] += 1

    async def start(self) -> None:
        await self._server.start_server()
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self._server.close()

    @property
    def url(self) -> str:
        return str(self._server.make_url("")).rstrip("/")

    @property
    def charge_calls(self) -> int:
        return self.calls[("POST", "/v1/payment_intents")]

    async def api_key(self) -> str:
        """The key the payments worker charges with: the test's provisioned secret (the
        simulator's account it reads)."""
        if self._key is None:
            clients = AwsClients(os.environ["AWS_REGION"])
            try:
                secrets = await clients.client("secretsmanager")
                found = await secrets.get_secret_value(SecretId=secret_id(KEY_SECRET))
                self._key = str(found["SecretString"])
            finally:
                await clients.close()
        return self._key

    async def _get(self, path: str) -> Any:
        assert self._session is not None
        headers = {"Authorization": f"Bearer {await self.api_key()}"}
        async with self._session.get(self.url + path, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def intents(self) -> dict[str, list[dict[str, Any]]]:
        """Every payment intent at the gateway (one listing call), by order id."""
        listing = await self._get("/v1/payment_intents?limit=100")
        assert not listing["has_more"]
        by_order: dict[str, list[dict[str, Any]]] = {}
        for intent in listing["data"]:
            by_order.setdefault(intent["metadata"].get("order_id", ""), []).append(intent)
        return by_order

    async def intents_for(self, order_id: str) -> list[dict[str, Any]]:
        return (await self.intents()).get(order_id, [])

    async def refunds_for(self, intent_id: str) -> list[dict[str, Any]]:
        listing = await self._get(f"/v1/refunds?limit=100&payment_intent={intent_id}")
        data: list[dict[str, Any]] = listing["data"]
        return data


# ---------------------------------------------------------------------------------- events


def money(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


def line(product_id: str, quantity: int) -> LineItem:
    return LineItem(product_id=product_id, quantity=quantity, unit_price=money(UNIT_PRICE))


def new_order_id() -> str:
    return str(uuid.uuid4())


def _event(payload: Any, producer: str, order_id: str) -> Envelope:
    return new_event(payload, producer=producer, correlation_id=order_id)


def order_placed(order_id: str, *lines: tuple[str, int], token: str = "tok_visa") -> Envelope:
    items = tuple(line(product, quantity) for product, quantity in lines)
    total = money(sum(item.unit_price.amount * item.quantity for item in items))
    payload = OrderPlaced(
        order_id=order_id, customer_id="c-chaos", items=items, total=total, payment_token=token
    )
    return _event(payload, "orders", order_id)


def inventory_reserved(order_id: str, token: str = "tok_visa", quantity: int = 2) -> Envelope:
    items = (line("p-chaos", quantity),)
    payload = InventoryReserved(
        order_id=order_id, items=items, total=money(UNIT_PRICE * quantity), payment_token=token
    )
    return _event(payload, "inventory", order_id)


def inventory_rejected(order_id: str) -> Envelope:
    payload = InventoryRejected(order_id=order_id, reason="out_of_stock", product_ids=("p-chaos",))
    return _event(payload, "inventory", order_id)


def payment_succeeded(order_id: str) -> Envelope:
    payload = PaymentSucceeded(
        order_id=order_id, payment_id=f"pi_{uuid.uuid4().hex[:12]}", amount=money(500)
    )
    return _event(payload, "payments", order_id)


def payment_failed(order_id: str) -> Envelope:
    payload = PaymentFailed(
        order_id=order_id, reason="payment_declined", decline_code="card_declined"
    )
    return _event(payload, "payments", order_id)


def order_confirmed(order_id: str) -> Envelope:
    return _event(OrderConfirmed(order_id=order_id), "orders", order_id)


def order_cancelled(order_id: str, reason: str = "customer_cancelled") -> Envelope:
    return _event(
        OrderCancelled.model_validate({"order_id": order_id, "reason": reason}), "orders", order_id
    )


async def send(sqs: Any, queue_url: str, body: str, event_type: str | None = None) -> None:
    attributes = (
        {"event_type": {"DataType": "String", "StringValue": event_type}} if event_type else {}
    )
    await sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=attributes)


async def send_event(sqs: Any, queue_url: str, event: Envelope, times: int = 1) -> None:
    for _ in range(times):
        await send(sqs, queue_url, event.model_dump_json(), event.type)


async def queue_depth(sqs: Any, url: str) -> int:
    """Messages in the queue, visible or in flight."""
    attributes = (
        await sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


# ---------------------------------------------------------------------------------- stores


async def add_product(dynamodb: Any, stock: int) -> str:
    product_id = f"chaos-{uuid.uuid4().hex[:10]}"
    await dynamodb.put_item(
        TableName=physical("products"),
        Item={
            **product_item_key(product_id),
            "id": {"S": product_id},
            "name": {"S": "Chaos product"},
            "price_amount": {"N": str(UNIT_PRICE)},
            "currency": {"S": "USD"},
            "stock": {"N": str(stock)},
        },
    )
    return product_id


async def seed_order(pool: asyncpg.Pool, status: Status = Status.PENDING) -> Order:
    """An order as the orders service would have written it, PENDING or RESERVED."""
    now = datetime.now(UTC)
    order = price_order(
        order_id=new_order_id(),
        customer_id="c-chaos",
        lines=[RequestedLine("p-chaos", 2)],
        prices={"p-chaos": money(UNIT_PRICE)},
        payment_token="tok_visa",
        now=now,
    )
    if status is Status.RESERVED:
        domain.apply(order, Decision(((Status.RESERVED, None),)), "InventoryReserved", now)
    elif status is not Status.PENDING:
        raise ValueError(f"cannot seed a {status} order")
    await OrderStore(pool).place(
        order, key=str(uuid.uuid4()), fingerprint="chaos", response={}, events=[]
    )
    return order


@dataclass(frozen=True)
class OrderRecord:
    status: str
    reason: str | None
    history: list[str]
    outbox: list[tuple[str, str]]
    """(id, event_type) of every outbox row of the order."""
    processed: list[str]
    """Event ids in the orders worker's inbox for the order."""


async def order_record(pool: asyncpg.Pool, order_id: str) -> OrderRecord:
    key = uuid.UUID(order_id)
    row = await pool.fetchrow("SELECT status, reason FROM orders WHERE id = $1", key)
    assert row is not None, f"no order {order_id}"
    history = await pool.fetch(
        "SELECT to_status FROM order_history WHERE order_id = $1 ORDER BY id", key
    )
    outbox = await pool.fetch(
        "SELECT id, event_type FROM outbox WHERE (body::jsonb ->> 'correlation_id') = $1"
        " ORDER BY created_at",
        order_id,
    )
    processed = await pool.fetch(
        "SELECT event_id FROM processed_events WHERE order_id = $1 ORDER BY processed_at", key
    )
    return OrderRecord(
        status=row["status"],
        reason=row["reason"],
        history=[r["to_status"] for r in history],
        outbox=[(str(r["id"]), r["event_type"]) for r in outbox],
        processed=[r["event_id"] for r in processed],
    )


def ids(events: Iterable[Envelope]) -> set[str]:
    return {event.id for event in events}


# ---------------------------------------------------------------------------- the stack


@dataclass
class ChaosStack:
    prefix: str
    sqs: Any
    sns: Any
    dynamodb: Any
    topic_arn: str
    database_url: str
    logs: Path
    workers: list[WorkerProcess] = field(default_factory=list)
    _urls: dict[str, str] = field(default_factory=dict)
    _restore: dict[str, str] = field(default_factory=dict)

    async def url(self, name: str) -> str:
        """The URL of a queue of this stack by its logical name (`inventory`, `inventory-dlq`)."""
        if name not in self._urls:
            found = await self.sqs.get_queue_url(QueueName=physical(name))
            self._urls[name] = found["QueueUrl"]
        return self._urls[name]

    async def lower_visibility(self, queue: str, seconds: int) -> None:
        """Set the queue's VisibilityTimeout (workers read it at start); restored at teardown."""
        url = await self.url(queue)
        if queue not in self._restore:
            current = await self.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["VisibilityTimeout"]
            )
            self._restore[queue] = current["Attributes"]["VisibilityTimeout"]
        await self.sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)}
        )

    async def restore_visibility(self) -> None:
        for queue, seconds in self._restore.items():
            await self.sqs.set_queue_attributes(
                QueueUrl=await self.url(queue), Attributes={"VisibilityTimeout": seconds}
            )
        self._restore.clear()

    async def observe(self) -> Observer:
        return await Observer.create(self.sqs, self.sns, self.topic_arn)

    async def start(
        self,
        worker: str,
        *,
        gateway: Gateway | None = None,
        crash_at: str | None = None,
        env: dict[str, str] | None = None,
    ) -> WorkerProcess:
        """Start `python -m workers.<worker>` with this stack's environment."""
        extra: dict[str, str | None] = {
            "DATABASE_URL": self.database_url,
            "ECOMMERCE_TOPIC_ARN": self.topic_arn,
            "WORKER_GRACE_SECONDS": str(GRACE_SECONDS),
            "HEALTH_PORT": None,
        }
        if gateway is not None:
            extra["PAYMENT_GATEWAY_URL"] = gateway.url
        if crash_at is not None:
            extra["ECOMMERCE_CRASH_AT"] = crash_at
            extra["ECOMMERCE_CRASH_MARKER"] = str(self.logs / f"crashed-{uuid.uuid4().hex}")
        extra.update(env or {})
        process = await WorkerProcess.start(worker, worker_environment(os.environ, extra))
        self.workers.append(process)
        return process

    async def stop_all(self) -> None:
        for process in self.workers:
            if process.returncode is None:
                await process.kill()
        for index, process in enumerate(self.workers):
            path = self.logs / f"{index:02d}-{process.name}-{process.pid}.log"
            await asyncio.to_thread(path.write_text, "\n".join(process.raw) + "\n")


# ------------------------------------------------------------------------ reconciliation


@dataclass
class ExpectedOrders:
    """The orders service's view, as the test drove it (the chaos tier runs the payments worker
    without the orders service): each order's final status."""

    final: dict[str, tuple[str, str | None]]

    async def statuses(self, order_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        return {oid: self.final[oid] for oid in order_ids if oid in self.final}

    async def confirmed_between(self, start: datetime, end: datetime) -> list[str]:
        return [oid for oid, (status, _) in self.final.items() if status == "CONFIRMED"]


async def assert_reconciled(
    chaos: ChaosStack,
    gateway: Gateway,
    *,
    confirmed: Iterable[str] = (),
    cancelled: Mapping[str, str] | None = None,
) -> None:
    """`ecommerce payments reconcile` after a fault run: the processor, the ledger and the
    orders' outcomes agree (nothing charged twice or left unrefunded, no refund lost)."""
    final: dict[str, tuple[str, str | None]] = {oid: ("CONFIRMED", None) for oid in confirmed}
    final.update({oid: ("CANCELLED", why) for oid, why in (cancelled or {}).items()})
    async with aiohttp.ClientSession() as session:
        sources = Sources(
            GatewayClient(session, gateway.url, FixedApiKey(await gateway.api_key())),
            Ledger(chaos.dynamodb, 60),
            ExpectedOrders(final),
        )
        since = datetime.now(UTC) - timedelta(hours=1)
        report = await compare(sources, since=since, settle=timedelta(0))
    assert report.discrepancies == [], render(report)
