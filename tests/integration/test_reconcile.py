"""`ecommerce payments reconcile` against the simulator, DynamoDB and PostgreSQL: each planted
discrepancy is found, the safe ones are repaired, and the CLI exits by what is left."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from recording import RecordingPublisher
from test_orders_store import new_order

from ecommerce.events import InventoryReserved, PaymentSucceeded, new_event
from ecommerce.gateway_sim import create_app
from ecommerce.ops.payments_command import reconcile_command
from ecommerce.ops.reconcile import Sources, compare, repair
from ecommerce.orders import service
from ecommerce.orders.domain import Order
from ecommerce.orders.schemas import order_document
from ecommerce.orders.store import OrderStore
from ecommerce.payments.credentials import KEY_SECRET, FixedApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.ledger import Ledger
from ecommerce.payments.reconciliation import Kind, Repair
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import secret_id

pytestmark = pytest.mark.integration


@dataclass
class World:
    gateway: GatewayClient
    session: aiohttp.ClientSession
    base: str
    ledger: Ledger
    store: OrderStore

    @property
    def sources(self) -> Sources:
        return Sources(self.gateway, self.ledger, self.store)

    async def order(self, *events: str) -> Order:
        order: Order = new_order(f"c-{uuid.uuid4()}")
        await self.store.place(
            order, key=str(uuid.uuid4()), fingerprint="f", response=order_document(order), events=[]
        )
        for name in events:
            payload: Any
            if name == "reserved":
                payload = InventoryReserved(
                    order_id=order.id, items=order.items, total=order.total, payment_token="t"
                )
            else:
                payload = PaymentSucceeded(order_id=order.id, payment_id="pi", amount=order.total)
            event = new_event(payload, producer="t", correlation_id=order.id)
            await service.apply_event(self.store, event, payload)
        return order

    async def charge(self, order: Order, card: str = "tok_visa", *, record: bool = True) -> str:
        result = await self.gateway.charge(
            order_id=order.id,
            amount=order.total.amount,
            currency="usd",
            payment_method=card,
            idempotency_key=f"charge-{order.id}",
        )
        assert result.payment_intent_id is not None
        claim = await self.ledger.claim_charge(order.id, order.total.amount, "USD")
        assert claim.token is not None
        if result.action_required:
            await self.ledger.require_action(
                order.id,
                claim.token,
                payment_intent_id=result.payment_intent_id,
                next_action="{}",
                client_secret=result.client_secret or "",
            )
        elif record:
            await self.ledger.complete_charge(
                order.id,
                claim.token,
                approved=True,
                payment_intent_id=result.payment_intent_id,
                decline_code=None,
            )
        return result.payment_intent_id


@pytest.fixture
async def world(dynamodb: Any, pool: asyncpg.Pool) -> AsyncIterator[World]:
    clients = AwsClients(os.environ["AWS_REGION"])
    secrets = await clients.client("secretsmanager")
    key = (await secrets.get_secret_value(SecretId=secret_id(KEY_SECRET)))["SecretString"]
    await clients.close()
    server = TestServer(create_app())
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        yield World(
            GatewayClient(session, base, FixedApiKey(key)),
            session,
            base,
            Ledger(dynamodb, 60),
            OrderStore(pool),
        )
    await server.close()


async def test_each_planted_discrepancy_is_found_and_the_safe_ones_repaired(
    world: World,
) -> None:
    clean = await world.order("reserved", "paid")
    await world.charge(clean)

    cancelled = await world.order("reserved")  # captured, then cancelled without a refund
    await world.charge(cancelled)
    await service.cancel_order(world.store, cancelled.id, viewer_id="x", admin=True)

    stuck = await world.order("reserved")  # authenticated; its webhook never applied
    stuck_intent = await world.charge(stuck, "tok_threeDSecure2Required")
    async with world.session.post(
        f"{world.base}/test/authenticate/{stuck_intent}", data={"outcome": "succeed"}
    ) as response:
        assert response.status == 200

    dashboard = await world.order("reserved", "paid")  # refunded at the processor only
    dashboard_intent = await world.charge(dashboard)
    await world.gateway.refund(payment_intent_id=dashboard_intent, idempotency_key="dash")

    free = await world.order("reserved", "paid")  # confirmed, never charged

    disputed = await world.order("reserved", "paid")
    await world.charge(disputed, "pm_card_createDispute")

    ghost = await world.order("reserved", "paid")  # the ledger believes in a refund
    ghost_intent = await world.charge(ghost)
    claim = await world.ledger.claim_refund(ghost.id)
    assert claim is not None
    await world.ledger.complete_refund(ghost.id, claim, "re_imagined")

    ours = {o.id for o in (clean, cancelled, stuck, dashboard, free, disputed, ghost)}
    since = datetime.now(UTC) - timedelta(hours=1)
    report = await compare(world.sources, since=since, settle=timedelta(0))
    found = {(d.order_id, d.kind): d.repair for d in report.discrepancies if d.order_id in ours}
    assert found == {
        (cancelled.id, Kind.CHARGE_WITHOUT_CONFIRMED_ORDER): Repair.REFUND,
        (stuck.id, Kind.CHARGE_WITHOUT_CONFIRMED_ORDER): Repair.PUBLISH_OUTCOME,
        (dashboard.id, Kind.REFUND_MISSING_IN_LEDGER): Repair.RECORD_REFUND,
        (free.id, Kind.CONFIRMED_WITHOUT_CAPTURE): None,
        (disputed.id, Kind.DISPUTE): None,
        (ghost.id, Kind.REFUND_MISSING_AT_PROCESSOR): None,
    }
    assert ghost_intent

    publisher = RecordingPublisher()
    mine = [d for d in report.discrepancies if d.order_id in ours]
    done = await repair(world.sources, publisher, mine)  # type: ignore[arg-type]
    assert len(done) == 3
    [published] = publisher.events
    assert (published.type, published.correlation_id) == ("PaymentSucceeded", stuck.id)

    again = await compare(world.sources, since=since, settle=timedelta(0))
    left = {(d.order_id, d.kind) for d in again.discrepancies if d.order_id in ours}
    # The stuck order waits for the outcome just published (no orders worker runs here).
    assert left == {
        (stuck.id, Kind.CHARGE_WITHOUT_CONFIRMED_ORDER),
        (free.id, Kind.CONFIRMED_WITHOUT_CAPTURE),
        (disputed.id, Kind.DISPUTE),
        (ghost.id, Kind.REFUND_MISSING_AT_PROCESSOR),
    }
    refunds = await world.gateway.list_all("refunds")
    cancelled_intent = (await world.ledger.get(cancelled.id)).payment_intent_id  # type: ignore[union-attr]
    assert [r["amount"] for r in refunds if r["payment_intent"] == cancelled_intent] == [1250]


async def test_the_command_exits_non_zero_until_repaired(
    world: World, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    orphan = await world.order("reserved")
    await world.charge(orphan)
    await service.cancel_order(world.store, orphan.id, viewer_id="x", admin=True)

    async def run(fix: bool) -> int:
        return await reconcile_command(
            world.base, database_url, since=since, settle=timedelta(0), fix=fix
        )

    assert await run(fix=False) == 1
    table = capsys.readouterr().out
    assert "charge_without_confirmed_order" in table and orphan.id in table
    assert "--repair: refund" in table
    assert await run(fix=True) == 0
    assert "refunded (re_" in capsys.readouterr().out
    assert await run(fix=False) == 0
    assert "0 discrepancies" in capsys.readouterr().out
