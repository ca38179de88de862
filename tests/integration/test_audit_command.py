"""`ecommerce audit` against real stores: clean on a consistent system, exit 1 with every
planted violation named (PostgreSQL, DynamoDB and SQS as the services leave them)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ecommerce import cli
from ecommerce.devstack.postgres import database_dsn, drop_database, ensure_database
from ecommerce.devstack.provision import deprovision, provision
from ecommerce.orders.migrations import apply_migrations
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
async def stores(
    postgres_server_url: str,
    provisioned: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[tuple[str, Any, Any, asyncpg.Connection]]:
    """A database and AWS resources of this test's own, with nothing in them (and no dev
    stack's gateway to ask)."""
    monkeypatch.setenv("ECOMMERCE_STATE_DIR", str(tmp_path / "no-stack"))
    name = f"audit_{uuid.uuid4().hex[:10]}"
    await ensure_database(postgres_server_url, name)
    url = database_dsn(postgres_server_url, name)
    await apply_migrations(url)
    monkeypatch.setenv("ECOMMERCE_PREFIX", f"{provisioned}-a{uuid.uuid4().hex[:5]}")
    clients = AwsClients(os.environ["AWS_REGION"])
    await provision(clients, progress=lambda _: None)
    connection = await asyncpg.connect(url)
    try:
        yield url, await clients.client("dynamodb"), await clients.client("sqs"), connection
    finally:
        await connection.close()
        await deprovision(clients, progress=lambda _: None)
        await clients.close()
        await drop_database(postgres_server_url, name)


async def run_audit(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    argv = ["audit", "--database-url", url, "--settle-seconds", "60", "--json"]
    code = await asyncio.to_thread(cli.main, argv)
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


async def insert_order(connection: asyncpg.Connection, status: str, reason: str | None) -> str:
    order_id = str(uuid.uuid4())
    await connection.execute(
        "INSERT INTO orders (id, customer_id, status, reason, currency, total_amount,"
        " payment_token, items, created_at, updated_at)"
        " VALUES ($1, 'c-1', $2, $3, 'USD', 100, 'tok_visa', '[]'::jsonb, $4, $4)",
        uuid.UUID(order_id),
        status,
        reason,
        HOUR_AGO,
    )
    return order_id


async def put(dynamodb: Any, table: str, item: dict[str, Any]) -> None:
    await dynamodb.put_item(TableName=physical(table), Item=item)


def reservation(order_id: str, status: str) -> dict[str, Any]:
    line = {"M": {"product_id": {"S": "p-audit"}, "quantity": {"N": "1"}}}
    return {
        "pk": {"S": f"RESERVATION#{order_id}"},
        "order_id": {"S": order_id},
        "status": {"S": status},
        "lines": {"L": [line]},
        "created_at": {"S": HOUR_AGO.isoformat()},
    }


def payment(order_id: str, approved: bool) -> dict[str, Any]:
    return {
        "pk": {"S": f"PAYMENT#{order_id}"},
        "order_id": {"S": order_id},
        "status": {"S": "COMPLETED"},
        "approved": {"BOOL": approved},
    }


async def test_clean_then_every_planted_violation_is_reported(
    stores: tuple[str, Any, Any, asyncpg.Connection], capsys: pytest.CaptureFixture[str]
) -> None:
    url, dynamodb, sqs, connection = stores
    confirmed = await insert_order(connection, "CONFIRMED", None)
    await put(dynamodb, "products", reservation(confirmed, "COMMITTED"))
    await put(dynamodb, "payments", payment(confirmed, True))
    await put(dynamodb, "products", {"pk": {"S": "PRODUCT#p-audit"}, "stock": {"N": "4"}})
    code, report = await run_audit(url, capsys)
    assert (code, report["clean"]) == (0, True), report

    stuck = await insert_order(connection, "PENDING", None)
    charged = await insert_order(connection, "CANCELLED", "out_of_stock")
    await put(dynamodb, "payments", payment(charged, True))
    await put(dynamodb, "products", reservation("no-such-order", "RESERVED"))
    await put(dynamodb, "products", {"pk": {"S": "PRODUCT#p-minus"}, "stock": {"N": "-2"}})
    await connection.execute(
        "INSERT INTO outbox (id, event_type, body, created_at)"
        " VALUES ($1, 'OrderPlaced', '{}', $2)",
        uuid.uuid4(),
        HOUR_AGO,
    )
    dlq = (await sqs.get_queue_url(QueueName=physical("payments-dlq")))["QueueUrl"]
    await sqs.send_message(QueueUrl=dlq, MessageBody="[" * 50_000)

    code, report = await run_audit(url, capsys)
    assert code == 1
    found = [violation for check in report["checks"] for violation in check["violations"]]
    assert f"order {stuck}: still PENDING since {HOUR_AGO:%H:%M:%S}" in found
    assert f"order {charged}: CANCELLED but charged (out_of_stock)" in found
    assert "reservation no-such-order: no such order" in found
    assert "product p-minus: stock -2" in found
    assert any(v.startswith("1 event(s) unpublished") for v in found), found
    assert any(v.startswith("payments-dlq ") and "no reason" in v for v in found), found
    assert len(found) == 6, found
