"""The inventory worker's use cases on in-memory ports: reserve all or nothing, answer a
redelivery with the same outcome under the same id, commit, release, and never reserve for an
order cancelled first or for a replay older than the retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import InMemoryReservations, RecordingPublisher

from ecommerce.catalog.inventory.reservation import ReservationStatus
from ecommerce.catalog.inventory.use_cases import Inventory
from ecommerce.events import (
    Envelope,
    InventoryRejected,
    LineItem,
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PoisonMessage,
    new_event,
)


def placed(order_id: str, **quantities: int) -> tuple[Envelope, OrderPlaced]:
    price = Money(amount=100, currency="USD")
    payload = OrderPlaced(
        order_id=order_id,
        customer_id="c-1",
        items=tuple(
            LineItem(product_id=product, quantity=quantity, unit_price=price)
            for product, quantity in quantities.items()
        ),
        total=Money(amount=100 * sum(quantities.values()), currency="USD"),
        payment_token="tok_visa",
    )
    return new_event(payload, producer="orders", correlation_id=order_id), payload


def event_of(payload: OrderConfirmed | OrderCancelled) -> Envelope:
    return new_event(payload, producer="orders", correlation_id=payload.order_id)


@pytest.fixture
def store() -> InMemoryReservations:
    return InMemoryReservations(stock={"p-1": 5, "p-2": 1})


@pytest.fixture
def published() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def inventory(store: InMemoryReservations, published: RecordingPublisher) -> Inventory:
    return Inventory(store, published)


async def test_an_order_in_stock_is_reserved_whole(
    inventory: Inventory, store: InMemoryReservations, published: RecordingPublisher
) -> None:
    await inventory.on_order_placed(*placed("o-1", **{"p-1": 2, "p-2": 1}))
    assert store.stock == {"p-1": 3, "p-2": 0}
    assert published.types() == ["InventoryReserved"]
    assert published.events[0].causation_id is not None


async def test_a_short_line_takes_nothing_and_names_the_product(
    inventory: Inventory, store: InMemoryReservations, published: RecordingPublisher
) -> None:
    await inventory.on_order_placed(*placed("o-2", **{"p-1": 2, "p-2": 3}))
    assert store.stock == {"p-1": 5, "p-2": 1}
    assert published.types() == ["InventoryRejected"]
    rejected = InventoryRejected.model_validate(published.events[0].payload)
    assert rejected.product_ids == ("p-2",)


async def test_a_redelivery_publishes_the_same_outcome_under_the_same_id(
    inventory: Inventory, store: InMemoryReservations, published: RecordingPublisher
) -> None:
    event, payload = placed("o-3", **{"p-1": 1})
    await inventory.on_order_placed(event, payload)
    await inventory.on_order_placed(event, payload)
    assert store.stock["p-1"] == 4  # taken once
    assert [e.id for e in published.events] == [published.events[0].id] * 2


async def test_confirm_commits_and_cancel_gives_the_stock_back(
    inventory: Inventory, store: InMemoryReservations
) -> None:
    await inventory.on_order_placed(*placed("o-4", **{"p-1": 2}))
    await inventory.on_order_placed(*placed("o-5", **{"p-1": 1}))
    confirmed = OrderConfirmed(order_id="o-4")
    await inventory.on_order_confirmed(event_of(confirmed), confirmed)
    cancelled = OrderCancelled(order_id="o-5", reason="payment_declined")
    await inventory.on_order_cancelled(event_of(cancelled), cancelled)
    await inventory.on_order_cancelled(event_of(cancelled), cancelled)  # twice: once released
    assert store.reservations["o-4"].status is ReservationStatus.COMMITTED
    assert store.reservations["o-5"].status is ReservationStatus.RELEASED
    assert store.stock["p-1"] == 3


async def test_an_order_cancelled_before_its_placement_arrives_takes_nothing(
    inventory: Inventory, store: InMemoryReservations, published: RecordingPublisher
) -> None:
    cancelled = OrderCancelled(order_id="o-6", reason="customer_cancelled")
    await inventory.on_order_cancelled(event_of(cancelled), cancelled)
    await inventory.on_order_placed(*placed("o-6", **{"p-1": 1}))
    assert store.stock["p-1"] == 5
    assert store.reservations["o-6"].status is ReservationStatus.CANCELLED
    assert published.types() == []


async def test_a_replay_older_than_the_retention_is_refused_not_reserved(
    inventory: Inventory, store: InMemoryReservations
) -> None:
    event, payload = placed("o-7", **{"p-1": 1})
    old = event.model_copy(
        update={"occurred_at": datetime.now(UTC) - timedelta(seconds=store.retention_seconds + 1)}
    )
    with pytest.raises(PoisonMessage, match="older than the reservation retention"):
        await inventory.on_order_placed(old, payload)
    assert store.stock["p-1"] == 5
