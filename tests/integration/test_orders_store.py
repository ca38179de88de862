"""The orders store and use cases against a real PostgreSQL."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from ecommerce.events import Money, OrderConfirmed, PaymentSucceeded, new_event
from ecommerce.orders import service
from ecommerce.orders.domain import Status
from ecommerce.orders.migrations import apply_migrations
from ecommerce.orders.placement import PlacementError, RequestedLine, price_order
from ecommerce.orders.prices import PriceBook, PriceChange, PriceStore
from ecommerce.orders.schemas import PlaceOrderRequest, order_document
from ecommerce.orders.store import OrderStore, outgoing

pytestmark = pytest.mark.integration

USD = Money(amount=1250, currency="USD")


def new_order(customer_id: str, at: datetime | None = None):  # type: ignore[no-untyped-def]
    return price_order(
        order_id=str(uuid.uuid4()),
        customer_id=customer_id,
        lines=[RequestedLine("p-001", 2)],
        prices={"p-001": Money(amount=625, currency="USD")},
        payment_token="tok_visa",
        now=at or datetime.now(UTC),
    )


async def test_migrations_apply_once(database_url: str) -> None:
    await apply_migrations(database_url)
    assert await apply_migrations(database_url) == []


async def test_place_writes_order_key_and_outbox_together(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    order = new_order(f"c-{uuid.uuid4()}")
    event = new_event(OrderConfirmed(order_id=order.id), producer="t", correlation_id=order.id)
    await store.place(
        order,
        key="k1",
        fingerprint="f1",
        response=order_document(order),
        events=outgoing([event], None),
    )
    loaded = await store.get(order.id)
    assert loaded is not None and loaded.total == USD and loaded.status is Status.PENDING
    assert [t.to_status for t in loaded.history] == [Status.PENDING]
    stored = await store.find_by_key(order.customer_id, "k1")
    assert stored is not None and stored.order_id == order.id
    body = await pool.fetchval("SELECT body FROM outbox WHERE id = $1", uuid.UUID(event.id))
    assert body == event.model_dump_json()


async def test_same_key_twice_gives_the_first_and_writes_nothing(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    customer = f"c-{uuid.uuid4()}"
    first, second = new_order(customer), new_order(customer)
    event = new_event(OrderConfirmed(order_id=second.id), producer="t", correlation_id=second.id)
    assert await store.place(first, key="k", fingerprint="f1", response={"n": 1}, events=[]) is None
    stored = await store.place(
        second, key="k", fingerprint="f2", response={"n": 2}, events=outgoing([event], None)
    )
    assert stored is not None
    assert (stored.order_id, stored.fingerprint, stored.response) == (first.id, "f1", {"n": 1})
    assert await store.get(second.id) is None
    assert (
        await pool.fetchval("SELECT count(*) FROM outbox WHERE id = $1", uuid.UUID(event.id)) == 0
    )


async def test_concurrent_placements_under_one_key_write_one_order(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    customer = f"c-{uuid.uuid4()}"
    orders = [new_order(customer) for _ in range(8)]
    results = await asyncio.gather(
        *(store.place(o, key="race", fingerprint="f", response={}, events=[]) for o in orders)
    )
    assert sum(result is None for result in results) == 1
    written = await pool.fetchval("SELECT count(*) FROM orders WHERE customer_id = $1", customer)
    assert written == 1


async def test_list_pages_newest_first_with_cursor(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    customer = f"c-{uuid.uuid4()}"
    start = datetime.now(UTC)
    placed = []
    for n in range(5):
        order = new_order(customer, start + timedelta(seconds=n))
        await store.place(order, key=f"k{n}", fingerprint="f", response={}, events=[])
        placed.append(order.id)
    await store.place(
        new_order(f"other-{uuid.uuid4()}"), key="k0", fingerprint="f", response={}, events=[]
    )
    page1, cursor = await service.list_orders(store, customer, limit=2, cursor=None)
    page2, cursor2 = await service.list_orders(store, customer, limit=2, cursor=cursor)
    page3, cursor3 = await service.list_orders(store, customer, limit=2, cursor=cursor2)
    seen = [o.id for o in page1 + page2 + page3]
    assert seen == list(reversed(placed))
    assert cursor3 is None


async def test_a_saga_event_applies_once_however_often_delivered(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    order = new_order(f"c-{uuid.uuid4()}")
    await store.place(order, key="k", fingerprint="f", response={}, events=[])
    paid = new_event(
        PaymentSucceeded(order_id=order.id, payment_id="pi_1", amount=USD),
        producer="payments",
        correlation_id=order.id,
    )
    outcomes = [
        await service.apply_event(store, paid, PaymentSucceeded.model_validate(paid.payload))
        for _ in range(3)
    ]
    assert outcomes == ["CONFIRMED", "duplicate", "duplicate"]
    loaded = await store.get(order.id)
    assert loaded is not None and loaded.status is Status.CONFIRMED
    assert [t.to_status for t in loaded.history] == [
        Status.PENDING,
        Status.RESERVED,
        Status.CONFIRMED,
    ]
    confirmations = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type = 'OrderConfirmed' AND body LIKE $1",
        f"%{order.id}%",
    )
    assert confirmations == 1


async def price_book(pool: asyncpg.Pool, prices: dict[str, Money]) -> PriceBook:
    """A book over the read model holding `prices` (added to whatever the session put there)."""
    store = PriceStore(pool)
    await store.apply(PriceChange(pid, price, datetime.now(UTC)) for pid, price in prices.items())
    book = PriceBook(store)
    await book.refresh()
    return book


async def test_place_order_replays_and_refuses_a_changed_body(pool: asyncpg.Pool) -> None:
    product = f"p-{uuid.uuid4().hex[:8]}"
    prices = await price_book(pool, {product: Money(amount=100, currency="USD")})
    store = OrderStore(pool)
    customer = f"c-{uuid.uuid4()}"
    body = PlaceOrderRequest.model_validate(
        {"items": [{"product_id": product, "quantity": 2}], "payment_token": "tok_visa"}
    )
    kwargs = {"customer_id": customer, "key": "same", "trace_header": None}
    first = await service.place_order(store, prices, request=body, **kwargs)  # type: ignore[arg-type]
    again = await service.place_order(store, prices, request=body, **kwargs)  # type: ignore[arg-type]
    assert not first.replayed and again.replayed
    assert again.response == first.response
    assert first.response["total"] == {"amount": 200, "currency": "USD"}
    changed = body.model_copy(update={"payment_token": "tok_chargeDeclined"})
    with pytest.raises(service.KeyReused):
        await service.place_order(store, prices, request=changed, **kwargs)  # type: ignore[arg-type]


async def test_an_unknown_product_is_refused_but_an_earlier_order_still_replays(
    pool: asyncpg.Pool,
) -> None:
    product = f"p-{uuid.uuid4().hex[:8]}"
    store = OrderStore(pool)
    customer = f"c-{uuid.uuid4()}"
    body = PlaceOrderRequest.model_validate(
        {"items": [{"product_id": product, "quantity": 1}], "payment_token": "tok_visa"}
    )
    kwargs = {"customer_id": customer, "trace_header": None}
    empty = await price_book(pool, {})
    with pytest.raises(PlacementError, match=f"no product {product}"):
        await service.place_order(store, empty, request=body, key="k1", **kwargs)  # type: ignore[arg-type]
    listed = await price_book(pool, {product: Money(amount=5, currency="USD")})
    first = await service.place_order(store, listed, request=body, key="k2", **kwargs)  # type: ignore[arg-type]
    await PriceStore(pool).apply([PriceChange(product, None, datetime.now(UTC))])
    await listed.refresh()
    replayed = await service.place_order(store, listed, request=body, key="k2", **kwargs)  # type: ignore[arg-type]
    assert replayed.replayed and replayed.response == first.response


async def test_cancel_is_once_for_the_owner_or_an_admin(pool: asyncpg.Pool) -> None:
    store = OrderStore(pool)
    order = new_order(f"c-{uuid.uuid4()}")
    await store.place(order, key="k", fingerprint="f", response={}, events=[])
    assert await service.cancel_order(store, order.id, viewer_id="someone", admin=False) is None
    for _ in range(2):
        cancelled = await service.cancel_order(
            store, order.id, viewer_id=order.customer_id, admin=False
        )
        assert cancelled is not None and cancelled.status is Status.CANCELLED
    assert cancelled is not None
    assert cancelled.reason is not None and cancelled.reason.value == "customer_cancelled"
    assert [t.to_status for t in cancelled.history] == [Status.PENDING, Status.CANCELLED]
    events = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type = 'OrderCancelled' AND body LIKE $1",
        f"%{order.id}%",
    )
    assert events == 1
    paid = new_event(
        PaymentSucceeded(order_id=order.id, payment_id="pi_1", amount=USD),
        producer="payments",
        correlation_id=order.id,
    )
    outcome = await service.apply_event(store, paid, PaymentSucceeded.model_validate(paid.payload))
    assert outcome.startswith("ignored")
    other = new_order(f"c-{uuid.uuid4()}")
    await store.place(other, key="k", fingerprint="f", response={}, events=[])
    by_admin = await service.cancel_order(store, other.id, viewer_id="admin-1", admin=True)
    assert by_admin is not None and by_admin.history[-1].cause == "cancelled_by_admin"
