"""An order waiting for the customer's authentication, in PostgreSQL: what it shows, its
settlement, and its expiry (the orders worker's sweep)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from test_orders_store import new_order

from ecommerce.events import InventoryReserved, PaymentActionRequired, PaymentSucceeded, new_event
from ecommerce.orders import service
from ecommerce.orders.domain import Order, Reason, Status
from ecommerce.orders.schemas import order_document
from ecommerce.orders.store import OrderStore

pytestmark = pytest.mark.integration

EXPIRY = timedelta(minutes=15)


async def waiting_order(store: OrderStore, at: datetime | None = None) -> Order:
    order = new_order(f"c-{uuid.uuid4()}", at)
    await store.place(
        order, key=str(uuid.uuid4()), fingerprint="f", response=order_document(order), events=[]
    )
    reserved = InventoryReserved(
        order_id=order.id, items=order.items, total=order.total, payment_token="tok_3ds"
    )
    action = PaymentActionRequired(
        order_id=order.id,
        payment_id="pi_wait",
        client_secret="pi_wait_secret_1",
        next_action={"type": "redirect_to_url", "redirect_to_url": {"url": "http://x/pi_wait"}},
    )
    for payload in (reserved, action):
        event = new_event(payload, producer="t", correlation_id=order.id)
        await service.apply_event(store, event, payload)
    loaded = await store.get(order.id)
    assert loaded is not None
    return loaded


async def test_a_waiting_order_shows_what_to_do_until_it_is_paid(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    order = await waiting_order(store)
    assert order.status is Status.PAYMENT_ACTION_REQUIRED
    shown = order_document(order, action_expiry=EXPIRY)
    assert shown["payment_action"]["client_secret"] == "pi_wait_secret_1"
    assert shown["payment_action"]["next_action"]["type"] == "redirect_to_url"
    expires = datetime.fromisoformat(shown["payment_action"]["expires_at"])
    assert expires == order.updated_at + EXPIRY
    paid = PaymentSucceeded(order_id=order.id, payment_id="pi_wait", amount=order.total)
    await service.apply_event(store, new_event(paid, producer="t", correlation_id=order.id), paid)
    confirmed = await store.get(order.id)
    assert confirmed is not None and confirmed.status is Status.CONFIRMED
    assert order_document(confirmed)["payment_action"] is None


async def test_the_sweep_cancels_only_the_orders_waiting_longer_than_the_expiry(
    pool: asyncpg.Pool,
) -> None:
    store = OrderStore(pool)
    fresh = await waiting_order(store)
    stale = await waiting_order(store)
    await pool.execute(
        "UPDATE orders SET updated_at = $2 WHERE id = $1",
        uuid.UUID(stale.id),
        datetime.now(UTC) - EXPIRY - timedelta(seconds=5),
    )
    outcome = await service.expire_waiting_orders(store, EXPIRY)
    assert int(outcome.split()[0]) >= 1  # the database is shared with other tests
    expired = await store.get(stale.id)
    assert expired is not None
    assert (expired.status, expired.reason) == (Status.CANCELLED, Reason.PAYMENT_EXPIRED)
    assert expired.payment_action is None
    still = await store.get(fresh.id)
    assert still is not None and still.status is Status.PAYMENT_ACTION_REQUIRED
    body = await pool.fetchval(
        "SELECT body FROM outbox WHERE event_type = 'OrderCancelled' AND body LIKE $1",
        f"%{stale.id}%",
    )
    assert json.loads(body)["payload"] == {"order_id": stale.id, "reason": "payment_expired"}
