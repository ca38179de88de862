"""Reservations against DynamoDB (the AWS emulator): all or nothing, never below zero, once."""

import asyncio
import uuid
from typing import Any

import pytest
from recording import RecordingPublisher

from ecommerce.catalog.inventory.reservation import Line, ReservationStatus
from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.catalog.inventory.use_cases import Inventory
from ecommerce.catalog.products.product_items import product_item_key
from ecommerce.events import (
    Envelope,
    LineItem,
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PoisonMessage,
    new_event,
)
from ecommerce.resources import physical

pytestmark = pytest.mark.integration


async def add_product(dynamodb: Any, stock: int) -> str:
    product_id = f"t-{uuid.uuid4().hex[:10]}"
    await dynamodb.put_item(
        TableName=physical("products"),
        Item={
            **product_item_key(product_id),
            "id": {"S": product_id},
            "name": {"S": "Test product"},
            "price_amount": {"N": "100"},
            "currency": {"S": "USD"},
            "stock": {"N": str(stock)},
        },
    )
    return product_id


def placed(order_id: str, *lines: tuple[str, int]) -> tuple[Envelope, OrderPlaced]:
    payload = OrderPlaced(
        order_id=order_id,
        customer_id="c-1",
        items=tuple(
            LineItem(product_id=p, quantity=q, unit_price=Money(amount=100, currency="USD"))
            for p, q in lines
        ),
        total=Money(amount=100, currency="USD"),
        payment_token="tok_visa",
    )
    return new_event(payload, producer="orders", correlation_id=order_id), payload


async def test_reserve_takes_every_line_or_none(dynamodb: Any) -> None:
    store = ReservationStore(dynamodb)
    plenty, scarce = await add_product(dynamodb, 10), await add_product(dynamodb, 1)
    refused = await store.reserve("o-" + uuid.uuid4().hex, [Line(plenty, 3), Line(scarce, 2)])
    assert not refused.reserved and refused.short == (1,)
    assert (await store.stock(plenty), await store.stock(scarce)) == (10, 1)
    order_id = "o-" + uuid.uuid4().hex
    assert (await store.reserve(order_id, [Line(plenty, 3), Line(scarce, 1)])).reserved
    assert (await store.stock(plenty), await store.stock(scarce)) == (7, 0)
    again = await store.reserve(order_id, [Line(plenty, 3), Line(scarce, 1)])
    assert again.existing and (await store.stock(plenty)) == 7


async def test_concurrent_orders_never_take_stock_below_zero(dynamodb: Any) -> None:
    store = ReservationStore(dynamodb)
    product = await add_product(dynamodb, 5)
    results = await asyncio.gather(
        *(store.reserve(f"o-{uuid.uuid4().hex}", [Line(product, 1)]) for _ in range(12)),
        return_exceptions=True,
    )
    reserved = [r for r in results if not isinstance(r, BaseException) and r.reserved]
    assert len(reserved) <= 5
    assert await store.stock(product) == 5 - len(reserved) >= 0


async def test_inventory_is_idempotent_and_republishes_the_same_outcome(dynamodb: Any) -> None:
    publisher = RecordingPublisher()
    inventory = Inventory(ReservationStore(dynamodb), publisher)
    product = await add_product(dynamodb, 4)
    order_id = str(uuid.uuid4())
    event, payload = placed(order_id, (product, 3))
    for _ in range(3):
        await inventory.on_order_placed(event, payload)
    assert await ReservationStore(dynamodb).stock(product) == 1
    assert [e.type for e in publisher.events] == ["InventoryReserved"] * 3
    assert len({e.id for e in publisher.events}) == 1

    other_id = str(uuid.uuid4())
    event, payload = placed(other_id, (product, 2))
    await inventory.on_order_placed(event, payload)
    await inventory.on_order_placed(event, payload)
    assert [e.type for e in publisher.events[3:]] == ["InventoryRejected"] * 2
    assert publisher.events[3].payload["product_ids"] == [product]
    assert await ReservationStore(dynamodb).stock(product) == 1


async def test_release_gives_stock_back_once(dynamodb: Any) -> None:
    store = ReservationStore(dynamodb)
    inventory = Inventory(store, RecordingPublisher())
    product = await add_product(dynamodb, 5)
    order_id = str(uuid.uuid4())
    event, payload = placed(order_id, (product, 2))
    await inventory.on_order_placed(event, payload)
    confirmed = OrderConfirmed(order_id=order_id)
    await inventory.on_order_confirmed(event, confirmed)
    reservation = await store.get(order_id)
    assert reservation is not None and reservation.status is ReservationStatus.COMMITTED
    cancelled = OrderCancelled(order_id=order_id, reason="customer_cancelled")
    for _ in range(3):
        await inventory.on_order_cancelled(event, cancelled)
    assert await store.stock(product) == 5


async def test_cancel_before_reservation_blocks_a_late_reservation(dynamodb: Any) -> None:
    publisher = RecordingPublisher()
    store = ReservationStore(dynamodb)
    inventory = Inventory(store, publisher)
    product = await add_product(dynamodb, 5)
    order_id = str(uuid.uuid4())
    event, payload = placed(order_id, (product, 2))
    await inventory.on_order_cancelled(
        event, OrderCancelled(order_id=order_id, reason="customer_cancelled")
    )
    await inventory.on_order_placed(event, payload)
    assert await store.stock(product) == 5
    assert publisher.events == []


async def test_a_deleted_product_cannot_be_reserved(dynamodb: Any) -> None:
    store = ReservationStore(dynamodb)
    product = await add_product(dynamodb, 5)
    await dynamodb.update_item(
        TableName=physical("products"),
        Key=product_item_key(product),
        UpdateExpression="SET deleted_at = :now",
        ExpressionAttributeValues={":now": {"S": "2026-01-01T00:00:00Z"}},
    )
    result = await store.reserve(f"o-{uuid.uuid4().hex}", [Line(product, 1)])
    assert not result.reserved and result.short == (0,)
    assert await store.stock(product) == 5


async def reservation_items(dynamodb: Any, *order_ids: str) -> int:
    found = 0
    for order_id in order_ids:
        item = await dynamodb.get_item(
            TableName=physical("products"), Key={"pk": {"S": f"RESERVATION#{order_id}"}}
        )
        found += "Item" in item
    return found


async def test_settled_reservations_expire_and_the_sweep_removes_them(dynamodb: Any) -> None:
    now = [1_000_000.0]
    store = ReservationStore(dynamodb, retention_seconds=60, clock=lambda: now[0])
    inventory = Inventory(store, RecordingPublisher())
    product = await add_product(dynamodb, 10)
    held, committed, released = (str(uuid.uuid4()) for _ in range(3))
    for order_id in (held, committed, released):
        event, payload = placed(order_id, (product, 1))
        await inventory.on_order_placed(event, payload)
    await inventory.on_order_confirmed(event, OrderConfirmed(order_id=committed))
    await inventory.on_order_cancelled(
        event, OrderCancelled(order_id=released, reason="customer_cancelled")
    )
    rejected = str(uuid.uuid4())
    await inventory.on_order_placed(*placed(rejected, (product, 100)))
    assert await reservation_items(dynamodb, held, committed, released, rejected) == 4

    now[0] += 59
    await store.sweep()
    assert await reservation_items(dynamodb, held, committed, released, rejected) == 4
    now[0] += 2
    await store.sweep()
    # Only the one still holding stock is left: items stay bounded by the orders in flight.
    assert await reservation_items(dynamodb, held, committed, released, rejected) == 1
    assert (await store.get(held)) is not None
    assert await store.stock(product) == 10 - 2  # held and committed keep their stock


async def test_an_order_placed_older_than_the_retention_is_not_reserved_again(
    dynamodb: Any,
) -> None:
    store = ReservationStore(dynamodb, retention_seconds=0)
    inventory = Inventory(store, RecordingPublisher())
    product = await add_product(dynamodb, 5)
    event, payload = placed(str(uuid.uuid4()), (product, 1))
    with pytest.raises(PoisonMessage, match="older than the reservation retention"):
        await inventory.on_order_placed(event, payload)
    assert await store.stock(product) == 5
