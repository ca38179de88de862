"""The contract of `OrderRepository`, held the same by the PostgreSQL store and by the in-memory
fake the unit tests use (tests/unit/fakes.py): each test runs on both."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from fakes import InMemoryOrders

from ecommerce.events import Money, OrderCancelled, OrderConfirmed, new_event
from ecommerce.orders.domain import Order, Reason, Status, Transition
from ecommerce.orders.placement import RequestedLine, price_order
from ecommerce.orders.repository import OrderRepository, outgoing
from ecommerce.orders.store import OrderStore
from ecommerce.platform.messaging.publisher import Outgoing

pytestmark = pytest.mark.integration


@dataclass
class Subject:
    repository: OrderRepository
    in_outbox: Callable[[Sequence[str]], Awaitable[set[str]]]
    """Which of these event ids the outbox holds."""


@pytest.fixture(params=["postgres", "in-memory"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "in-memory":
        fake = InMemoryOrders()

        async def in_fake_outbox(ids: Sequence[str]) -> set[str]:
            return {row.id for row in fake.outbox} & set(ids)

        return Subject(fake, in_fake_outbox)
    pool = request.getfixturevalue("pool")

    async def in_table(ids: Sequence[str]) -> set[str]:
        rows = await pool.fetch(
            "SELECT id FROM outbox WHERE id = any($1::uuid[])", [uuid.UUID(i) for i in ids]
        )
        return {str(row["id"]) for row in rows}

    return Subject(OrderStore(pool), in_table)


def new_order(customer_id: str, at: datetime | None = None) -> Order:
    return price_order(
        order_id=str(uuid.uuid4()),
        customer_id=customer_id,
        lines=[RequestedLine("p-001", 2)],
        prices={"p-001": Money(amount=625, currency="USD")},
        payment_token="tok_visa",
        now=at or datetime.now(UTC),
    )


def events_for(order: Order) -> list[Outgoing]:
    event = new_event(OrderConfirmed(order_id=order.id), producer="t", correlation_id=order.id)
    return outgoing([event], "Root=1-abc")


def customer() -> str:
    return f"c-{uuid.uuid4()}"


async def test_place_writes_the_order_its_key_and_its_outbox_rows(subject: Subject) -> None:
    repository = subject.repository
    order = new_order(customer())
    rows = events_for(order)
    assert (
        await repository.place(
            order, key="k", fingerprint="f", response={"id": order.id}, events=rows
        )
        is None
    )
    loaded = await repository.get(order.id)
    assert loaded is not None
    assert (loaded.status, loaded.total, loaded.items) == (Status.PENDING, order.total, order.items)
    assert [t.to_status for t in loaded.history] == [Status.PENDING]
    stored = await repository.find_by_key(order.customer_id, "k")
    assert stored is not None
    assert (stored.order_id, stored.fingerprint, stored.response) == (
        order.id,
        "f",
        {"id": order.id},
    )
    assert await subject.in_outbox([rows[0].id]) == {rows[0].id}


async def test_a_key_taken_writes_nothing_and_returns_the_first(subject: Subject) -> None:
    repository = subject.repository
    who = customer()
    first, second = new_order(who), new_order(who)
    rows = events_for(second)
    await repository.place(first, key="k", fingerprint="f1", response={"n": 1}, events=[])
    stored = await repository.place(
        second, key="k", fingerprint="f2", response={"n": 2}, events=rows
    )
    assert stored is not None
    assert (stored.order_id, stored.fingerprint, stored.response) == (first.id, "f1", {"n": 1})
    assert await repository.get(second.id) is None
    assert await subject.in_outbox([rows[0].id]) == set()
    # A key is the customer's own: another customer's same key places another order.
    other = new_order(customer())
    assert await repository.place(other, key="k", fingerprint="f", response={}, events=[]) is None
    assert await repository.find_by_key(customer(), "k") is None


async def test_an_unknown_or_malformed_id_is_no_order(subject: Subject) -> None:
    assert await subject.repository.get(str(uuid.uuid4())) is None
    assert await subject.repository.get("not-a-uuid") is None
    async with subject.repository.changing("not-a-uuid") as change:
        assert await change.load() is None


async def test_a_unit_of_work_saves_state_history_outbox_and_the_event_mark(
    subject: Subject,
) -> None:
    repository = subject.repository
    order = new_order(customer())
    await repository.place(order, key="k", fingerprint="f", response={}, events=[])
    event_id = str(uuid.uuid4())
    at = order.created_at + timedelta(seconds=5)
    rows = events_for(order)
    async with repository.changing(order.id) as change:
        loaded = await change.load()
        assert loaded is not None and loaded.history == []  # loaded without its history
        assert not await change.already_processed(event_id)
        moved = Transition(Status.PENDING, Status.CANCELLED, Reason.OUT_OF_STOCK, "x", at)
        loaded.status, loaded.reason, loaded.version, loaded.updated_at = (
            Status.CANCELLED,
            Reason.OUT_OF_STOCK,
            2,
            at,
        )
        await change.save(loaded, [moved], rows)
        await change.mark_processed(event_id, "InventoryRejected", "CANCELLED(out_of_stock)")
    after = await repository.get(order.id)
    assert after is not None
    assert (after.status, after.reason, after.version, after.updated_at) == (
        Status.CANCELLED,
        Reason.OUT_OF_STOCK,
        2,
        at,
    )
    assert after.history[-1] == moved and len(after.history) == 2
    assert await subject.in_outbox([rows[0].id]) == {rows[0].id}
    async with repository.changing(order.id) as change:
        assert await change.already_processed(event_id)


async def test_a_unit_of_work_that_raises_leaves_no_trace(subject: Subject) -> None:
    repository = subject.repository
    order = new_order(customer())
    await repository.place(order, key="k", fingerprint="f", response={}, events=[])
    event_id = str(uuid.uuid4())
    cancelled = new_event(
        OrderCancelled(order_id=order.id, reason="customer_cancelled"),
        producer="t",
        correlation_id=order.id,
    )
    rows = outgoing([cancelled], None)

    class Interrupted(Exception):
        pass

    with pytest.raises(Interrupted):
        async with repository.changing(order.id) as change:
            loaded = await change.load()
            assert loaded is not None
            loaded.status, loaded.version = Status.CANCELLED, 2
            await change.save(loaded, [], rows)
            await change.mark_processed(event_id, "OrderCancelled", "CANCELLED")
            raise Interrupted()
    after = await repository.get(order.id)
    assert after is not None and (after.status, after.version) == (Status.PENDING, 1)
    assert await subject.in_outbox([rows[0].id]) == set()
    async with repository.changing(order.id) as change:
        assert not await change.already_processed(event_id)


async def test_an_event_is_marked_processed_once(subject: Subject) -> None:
    repository = subject.repository
    order = new_order(customer())
    await repository.place(order, key="k", fingerprint="f", response={}, events=[])
    event_id = str(uuid.uuid4())
    async with repository.changing(order.id) as change:
        await change.mark_processed(event_id, "InventoryReserved", "RESERVED")
    with pytest.raises((KeyError, asyncpg.UniqueViolationError)):
        async with repository.changing(order.id) as change:
            await change.mark_processed(event_id, "InventoryReserved", "RESERVED")


async def test_units_of_work_on_one_order_run_one_after_the_other(subject: Subject) -> None:
    repository = subject.repository
    order = new_order(customer())
    await repository.place(order, key="k", fingerprint="f", response={}, events=[])
    steps: list[str] = []

    async def work(name: str) -> None:
        async with repository.changing(order.id) as change:
            await change.load()
            steps.append(f"{name} in")
            await asyncio.sleep(0.05)
            steps.append(f"{name} out")

    await asyncio.gather(work("a"), work("b"))
    assert steps in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_a_customers_orders_newest_first_page_by_page(subject: Subject) -> None:
    repository = subject.repository
    who = customer()
    start = datetime.now(UTC) - timedelta(hours=1)
    orders = [new_order(who, start + timedelta(minutes=n)) for n in range(3)]
    for n, order in enumerate(orders):
        await repository.place(order, key=f"k{n}", fingerprint="f", response={}, events=[])
    await repository.place(new_order(customer()), key="k", fingerprint="f", response={}, events=[])
    page = await repository.list_for(who, 2, None)
    assert [o.id for o in page] == [orders[2].id, orders[1].id]
    assert all(o.history == [] for o in page)
    rest = await repository.list_for(who, 2, (page[-1].created_at, page[-1].id))
    assert [o.id for o in rest] == [orders[0].id]


async def test_waiting_orders_older_than_the_cutoff_oldest_first(subject: Subject) -> None:
    repository = subject.repository
    base = datetime(2001, 1, 1, tzinfo=UTC)
    waiting = [new_order(customer(), base + timedelta(minutes=n)) for n in (3, 1, 2, 9)]
    settled = new_order(customer(), base)
    for order in [*waiting, settled]:
        await repository.place(order, key="k", fingerprint="f", response={}, events=[])
        status = Status.CONFIRMED if order is settled else Status.PAYMENT_ACTION_REQUIRED
        async with repository.changing(order.id) as change:
            loaded = await change.load()
            assert loaded is not None
            loaded.status = status
            await change.save(loaded, [], [])
    mine = {order.id for order in [*waiting, settled]}
    found = await repository.waiting_since_before(base + timedelta(minutes=5), 1000)
    assert [i for i in found if i in mine] == [waiting[1].id, waiting[2].id, waiting[0].id]
