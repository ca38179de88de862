"""The orders use cases on in-memory ports: place (once per Idempotency-Key), the saga's
events (reserved, rejected, paid, declined, waiting for the customer), the customer's cancel,
and the expiry of a payment the customer never authenticated. Each state change writes its
follow-up event to the outbox in the same unit of work, and an event is applied once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from fakes import InMemoryOrders
from pydantic import BaseModel

from ecommerce.events import (
    Envelope,
    InventoryRejected,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    OrderPlaced,
    PaymentActionRequired,
    PaymentFailed,
    PaymentSucceeded,
    new_event,
)
from ecommerce.events.envelope import parse_envelope
from ecommerce.orders.domain import Reason, Status
from ecommerce.orders.placement import PlacementError
from ecommerce.orders.schemas import PlaceOrderRequest
from ecommerce.orders.service import (
    KeyReused,
    apply_event,
    cancel_order,
    expire_waiting_orders,
    get_order,
    list_orders,
    place_order,
)

CUSTOMER = "c-1"
PRICE = Money(amount=1250, currency="USD")


@dataclass
class FixedPrices:
    prices: dict[str, Money] = field(default_factory=lambda: {"p-1": PRICE, "p-2": PRICE})

    async def current(self, product_ids: Iterable[str]) -> dict[str, Money | None]:
        return {product_id: self.prices.get(product_id) for product_id in product_ids}


def request(quantity: int = 2, token: str = "tok_visa") -> PlaceOrderRequest:
    return PlaceOrderRequest.model_validate(
        {"items": [{"product_id": "p-1", "quantity": quantity}], "payment_token": token}
    )


async def place(
    orders: InMemoryOrders, key: str = "k-1", body: PlaceOrderRequest | None = None
) -> str:
    placed = await place_order(
        orders,
        FixedPrices(),
        customer_id=CUSTOMER,
        key=key,
        request=body or request(),
        trace_header=None,
    )
    return str(placed.response["id"])


def event(payload: BaseModel, order_id: str) -> Envelope:
    return new_event(payload, producer="test", correlation_id=order_id)


def reserved(order_id: str) -> InventoryReserved:
    item = LineItem(product_id="p-1", quantity=2, unit_price=PRICE)
    return InventoryReserved(
        order_id=order_id,
        items=(item,),
        total=Money(amount=2500, currency="USD"),
        payment_token="tok_visa",
    )


def paid(order_id: str) -> PaymentSucceeded:
    return PaymentSucceeded(order_id=order_id, payment_id="pi_1", amount=PRICE)


def action(order_id: str) -> PaymentActionRequired:
    return PaymentActionRequired(
        order_id=order_id,
        payment_id="pi_3ds",
        client_secret="pi_3ds_secret",
        next_action={"type": "redirect_to_url"},
    )


async def apply(orders: InMemoryOrders, order_id: str, *payloads: BaseModel) -> list[str]:
    return [await apply_event(orders, event(p, order_id), p) for p in payloads]


async def status_of(orders: InMemoryOrders, order_id: str) -> tuple[Status, Reason | None]:
    order = await orders.get(order_id)
    assert order is not None
    return order.status, order.reason


@pytest.fixture
def orders() -> InMemoryOrders:
    return InMemoryOrders()


async def test_placing_writes_the_order_and_its_order_placed_together(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    order = await orders.get(order_id)
    assert order is not None and order.status is Status.PENDING
    assert order.total == Money(amount=2500, currency="USD")
    assert orders.outbox_types() == ["OrderPlaced"]
    placed = OrderPlaced.model_validate(parse_envelope(orders.outbox[0].body).payload)
    assert (placed.order_id, placed.total.amount, placed.payment_token) == (
        order_id,
        2500,
        "tok_visa",
    )


async def test_the_same_key_replays_the_first_order_and_another_body_is_refused(
    orders: InMemoryOrders,
) -> None:
    first = await place_order(
        orders, FixedPrices(), customer_id=CUSTOMER, key="k", request=request(), trace_header=None
    )
    again = await place_order(
        orders, FixedPrices(), customer_id=CUSTOMER, key="k", request=request(), trace_header=None
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.response == first.response
    assert len(orders.orders) == 1 and orders.outbox_types() == ["OrderPlaced"]
    with pytest.raises(KeyReused):
        await place(orders, "k", request(quantity=3))
    assert len(orders.orders) == 1


async def test_an_unknown_product_is_refused_unless_it_replays_a_placed_order(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders, "k")
    gone = FixedPrices(prices={})
    replay = await place_order(
        orders, gone, customer_id=CUSTOMER, key="k", request=request(), trace_header=None
    )
    assert replay.replayed and replay.response["id"] == order_id
    with pytest.raises(PlacementError):
        await place_order(
            orders, gone, customer_id=CUSTOMER, key="new", request=request(), trace_header=None
        )


async def test_reserved_then_paid_confirms_and_emits_order_confirmed(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    assert await apply(orders, order_id, reserved(order_id), paid(order_id)) == [
        "RESERVED",
        "CONFIRMED",
    ]
    assert await status_of(orders, order_id) == (Status.CONFIRMED, None)
    assert orders.outbox_types() == ["OrderPlaced", "OrderConfirmed"]
    order = await orders.get(order_id)
    assert order is not None
    assert [t.to_status for t in order.history] == [
        Status.PENDING,
        Status.RESERVED,
        Status.CONFIRMED,
    ]


async def test_a_payment_that_overtakes_its_reservation_still_confirms(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    outcomes = await apply(orders, order_id, paid(order_id), reserved(order_id))
    assert outcomes[0] == "CONFIRMED" and outcomes[1].startswith("ignored:")
    assert await status_of(orders, order_id) == (Status.CONFIRMED, None)


async def test_a_declined_payment_cancels_and_emits_order_cancelled(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    declined = PaymentFailed(order_id=order_id, reason="payment_declined", decline_code="x")
    await apply(orders, order_id, reserved(order_id), declined)
    assert await status_of(orders, order_id) == (Status.CANCELLED, Reason.PAYMENT_DECLINED)
    assert orders.outbox_types() == ["OrderPlaced", "OrderCancelled"]
    cancelled = OrderCancelled.model_validate(parse_envelope(orders.outbox[1].body).payload)
    assert cancelled.reason == "payment_declined"


async def test_rejected_stock_cancels_out_of_stock_and_a_late_payment_changes_nothing(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    rejected = InventoryRejected(order_id=order_id, reason="out_of_stock", product_ids=("p-1",))
    outcomes = await apply(orders, order_id, rejected, paid(order_id))
    assert outcomes[0] == "CANCELLED(out_of_stock)" and outcomes[1].startswith("ignored:")
    assert await status_of(orders, order_id) == (Status.CANCELLED, Reason.OUT_OF_STOCK)
    assert orders.outbox_types() == ["OrderPlaced", "OrderCancelled"]


async def test_one_event_delivered_twice_is_applied_once(orders: InMemoryOrders) -> None:
    order_id = await place(orders)
    once = event(reserved(order_id), order_id)
    assert await apply_event(orders, once, reserved(order_id)) == "RESERVED"
    assert await apply_event(orders, once, reserved(order_id)) == "duplicate"
    order = await orders.get(order_id)
    assert order is not None and order.version == 2
    assert orders.processed[once.id].outcome == "RESERVED"


async def test_an_event_for_an_unknown_order_is_recorded_and_ignored(
    orders: InMemoryOrders,
) -> None:
    order_id = str(uuid.uuid4())
    [outcome] = await apply(orders, order_id, paid(order_id))
    assert outcome == "ignored: unknown order"
    assert [p.outcome for p in orders.processed.values()] == [outcome]


async def test_payment_action_required_parks_the_order_with_the_next_action(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    await apply(orders, order_id, reserved(order_id), action(order_id))
    order = await orders.get(order_id)
    assert order is not None and order.status is Status.PAYMENT_ACTION_REQUIRED
    assert order.payment_action is not None and order.payment_action.payment_id == "pi_3ds"
    await apply(orders, order_id, paid(order_id))
    order = await orders.get(order_id)
    assert order is not None and order.status is Status.CONFIRMED
    assert order.payment_action is None
    assert orders.outbox_types() == ["OrderPlaced", "OrderConfirmed"]


async def test_a_waiting_order_expires_after_its_expiry_and_not_before(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)
    await apply(orders, order_id, reserved(order_id), action(order_id))
    assert await expire_waiting_orders(orders, timedelta(minutes=15)) == "0 expired"
    stored = orders.orders[order_id]
    stored.updated_at = datetime.now(UTC) - timedelta(minutes=16)  # waited that long
    assert await expire_waiting_orders(orders, timedelta(minutes=15)) == "1 expired"
    assert await status_of(orders, order_id) == (Status.CANCELLED, Reason.PAYMENT_EXPIRED)
    assert orders.outbox_types() == ["OrderPlaced", "OrderCancelled"]
    assert await expire_waiting_orders(orders, timedelta(minutes=15)) == "0 expired"


async def test_the_customer_cancels_once_and_a_stranger_cannot(orders: InMemoryOrders) -> None:
    order_id = await place(orders)
    assert await cancel_order(orders, order_id, viewer_id="c-2", admin=False) is None
    assert await status_of(orders, order_id) == (Status.PENDING, None)
    cancelled = await cancel_order(orders, order_id, viewer_id=CUSTOMER, admin=False)
    again = await cancel_order(orders, order_id, viewer_id=CUSTOMER, admin=False)
    assert cancelled is not None and cancelled.reason is Reason.CUSTOMER_CANCELLED
    assert again is not None and again.version == cancelled.version
    assert orders.outbox_types() == ["OrderPlaced", "OrderCancelled"]
    assert cancelled.history[-1].cause == "cancelled"
    # The saga's late outcome meets a cancelled order: recorded, not applied.
    [outcome] = await apply(orders, order_id, paid(order_id))
    assert outcome.startswith("ignored:")


async def test_an_admin_cancel_is_recorded_as_the_admins(orders: InMemoryOrders) -> None:
    order_id = await place(orders)
    cancelled = await cancel_order(orders, order_id, viewer_id="admin-1", admin=True)
    assert cancelled is not None and cancelled.history[-1].cause == "cancelled_by_admin"


async def test_a_failed_unit_of_work_leaves_the_order_and_the_outbox_as_they_were(
    orders: InMemoryOrders,
) -> None:
    order_id = await place(orders)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with orders.changing(order_id) as change:
            order = await change.load()
            assert order is not None
            order.status = Status.CONFIRMED
            await change.save(order, [], [])
            await change.mark_processed("e-1", "PaymentSucceeded", "CONFIRMED")
            raise Boom()
    assert await status_of(orders, order_id) == (Status.PENDING, None)
    assert orders.outbox_types() == ["OrderPlaced"] and orders.processed == {}


async def test_reading_and_listing_show_a_customer_only_their_orders(
    orders: InMemoryOrders,
) -> None:
    ids = [await place(orders, f"k-{n}") for n in range(3)]
    assert await get_order(orders, ids[0], viewer_id="c-2", admin=False) is None
    assert await get_order(orders, ids[0], viewer_id="admin", admin=True) is not None
    first, cursor = await list_orders(orders, CUSTOMER, limit=2, cursor=None)
    rest, end = await list_orders(orders, CUSTOMER, limit=2, cursor=cursor)
    assert cursor is not None and end is None
    assert sorted(o.id for o in first + rest) == sorted(ids)
    assert await list_orders(orders, "c-2", limit=2, cursor=None) == ([], None)
