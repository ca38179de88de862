"""The cart use cases against hand-written fakes of the store, the catalog and the orders API."""

from collections.abc import Iterable
from typing import Any

import pytest

from ecommerce.cart.domain import MAX_LINES, Cart, ProductSnapshot, cart_of
from ecommerce.cart.orders_client import OrdersUnavailable, PlacedOrder
from ecommerce.cart.service import (
    CannotFill,
    CartService,
    EmptyCart,
    InvalidQuantity,
    UnknownProduct,
)
from ecommerce.cart.store import CartFull, CartStoreUnavailable
from ecommerce.events import Money

AUTH = "Bearer token-of-ada"
CLOCK = 1_000


class FakeStore:
    """The Redis store's contract: versions, the line limit, compare-and-delete."""

    def __init__(self) -> None:
        self.carts: dict[str, dict[str, int]] = {}
        self.versions: dict[str, int] = {}
        self.orders: dict[str, str] = {}
        self.floors: list[int] = []
        self.fail_empty = False
        self.before_empty: Any = None

    def _bump(self, user_id: str, floor: int) -> int:
        self.floors.append(floor)
        self.versions[user_id] = max(self.versions.get(user_id, 0) + 1, floor)
        return self.versions[user_id]

    async def load(self, user_id: str) -> Cart:
        return cart_of(
            dict(self.carts.get(user_id, {})),
            self.versions.get(user_id, 0),
            self.orders.get(user_id),
        )

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int, *, version_floor: int = 0
    ) -> int:
        lines = self.carts.setdefault(user_id, {})
        if product_id not in lines and len(lines) >= MAX_LINES:
            raise CartFull(product_id)
        lines[product_id] = quantity
        self.orders.pop(user_id, None)
        return self._bump(user_id, version_floor)

    async def remove(self, user_id: str, product_id: str, *, version_floor: int = 0) -> int | None:
        if self.carts.get(user_id, {}).pop(product_id, None) is None:
            return None
        self.orders.pop(user_id, None)
        return self._bump(user_id, version_floor)

    async def empty_into_order(
        self, user_id: str, version: int, order_id: str, *, version_floor: int = 0
    ) -> bool:
        if self.before_empty is not None:
            await self.before_empty()
        if self.fail_empty:
            raise CartStoreUnavailable("redis went away")
        if self.versions.get(user_id, 0) != version:
            return False
        self.carts[user_id] = {}
        self.orders[user_id] = order_id
        self._bump(user_id, version_floor)
        return True


class FakeCatalog:
    def __init__(self, products: dict[str, tuple[int, int]]) -> None:
        self.products_by_id = {
            pid: ProductSnapshot(pid, Money(amount=price, currency="USD"), stock)
            for pid, (price, stock) in products.items()
        }

    async def product(self, product_id: str) -> ProductSnapshot | None:
        return self.products_by_id.get(product_id)

    async def products(self, product_ids: Iterable[str]) -> dict[str, ProductSnapshot | None]:
        return {pid: self.products_by_id.get(pid) for pid in product_ids}


class FakeOrders:
    """Replays the first order placed under a key, as the orders API does."""

    def __init__(self) -> None:
        self.by_key: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.down = False

    async def place(
        self,
        *,
        items: list[dict[str, object]],
        payment_token: str,
        idempotency_key: str,
        authorization: str,
    ) -> PlacedOrder:
        self.calls.append(
            {"items": items, "token": payment_token, "key": idempotency_key, "auth": authorization}
        )
        if self.down:
            raise OrdersUnavailable("connection refused")
        if idempotency_key in self.by_key:
            return PlacedOrder(self.by_key[idempotency_key], replayed=True)
        order = {"id": f"order-{len(self.by_key) + 1}", "status": "PENDING", "items": items}
        self.by_key[idempotency_key] = order
        return PlacedOrder(order, replayed=False)

    async def get(self, order_id: str, *, authorization: str) -> dict[str, Any] | None:
        return next((o for o in self.by_key.values() if o["id"] == order_id), None)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def orders() -> FakeOrders:
    return FakeOrders()


@pytest.fixture
def service(store: FakeStore, orders: FakeOrders) -> CartService:
    catalog = FakeCatalog({"p-1": (2499, 10), "p-2": (150, 3)})
    return CartService(store, catalog, orders, clock_ms=lambda: CLOCK)


async def test_setting_a_line_prices_it_and_raises_the_version_from_the_clock(
    service: CartService, store: FakeStore
) -> None:
    line, version = await service.set_quantity("ada", "p-1", 2)
    assert (line.product_id, line.quantity, line.line_total) == (
        "p-1", 2, Money(amount=4998, currency="USD")
    )  # fmt: skip
    assert version == CLOCK
    assert store.floors == [CLOCK]
    _, again = await service.set_quantity("ada", "p-1", 3)
    assert again == CLOCK + 1


async def test_an_unknown_product_or_a_bad_quantity_writes_nothing(
    service: CartService, store: FakeStore
) -> None:
    with pytest.raises(UnknownProduct):
        await service.set_quantity("ada", "p-404", 1)
    for quantity in (0, 101):
        with pytest.raises(InvalidQuantity):
            await service.set_quantity("ada", "p-1", quantity)
    assert store.carts == {} and store.versions == {}


async def test_checkout_orders_the_cart_under_its_version_key_and_empties_it(
    service: CartService, store: FakeStore, orders: FakeOrders
) -> None:
    await service.set_quantity("ada", "p-2", 1)
    _, version = await service.set_quantity("ada", "p-1", 2)

    done = await service.checkout("ada", "tok_visa", AUTH)

    assert orders.calls == [
        {
            "items": [{"product_id": "p-1", "quantity": 2}, {"product_id": "p-2", "quantity": 1}],
            "token": "tok_visa",
            "key": f"cart-ada-{version}",
            "auth": AUTH,
        }
    ]
    assert (done.order["id"], done.replayed, done.cart_emptied) == ("order-1", False, True)
    cart = await store.load("ada")
    assert cart.empty and cart.version > version


async def test_a_checkout_of_an_emptied_cart_gives_the_same_order_back(
    service: CartService, orders: FakeOrders
) -> None:
    await service.set_quantity("ada", "p-1", 1)
    first = await service.checkout("ada", "tok_visa", AUTH)
    again = await service.checkout("ada", "tok_visa", AUTH)
    assert again.order == first.order and again.replayed
    assert len(orders.calls) == 1


async def test_an_empty_cart_cannot_be_checked_out(
    service: CartService, store: FakeStore, orders: FakeOrders
) -> None:
    with pytest.raises(EmptyCart):
        await service.checkout("ada", "tok_visa", AUTH)
    await service.set_quantity("ada", "p-1", 1)
    await service.remove("ada", "p-1")
    with pytest.raises(EmptyCart):
        await service.checkout("ada", "tok_visa", AUTH)
    assert orders.calls == []


async def test_too_little_stock_or_a_vanished_product_orders_nothing(
    service: CartService, store: FakeStore, orders: FakeOrders
) -> None:
    await service.set_quantity("ada", "p-1", 2)
    await service.set_quantity("ada", "p-2", 4)  # only 3 in stock
    store.carts["ada"]["p-gone"] = 1
    before = await store.load("ada")

    with pytest.raises(CannotFill) as raised:
        await service.checkout("ada", "tok_visa", AUTH)

    assert [(s.product_id, s.reason) for s in raised.value.lines] == [
        ("p-2", "out_of_stock"),
        ("p-gone", "not_in_catalog"),
    ]
    assert orders.calls == []
    assert await store.load("ada") == before


async def test_orders_down_leaves_the_cart_as_it_was(
    service: CartService, store: FakeStore, orders: FakeOrders
) -> None:
    await service.set_quantity("ada", "p-1", 2)
    before = await store.load("ada")
    orders.down = True
    with pytest.raises(OrdersUnavailable):
        await service.checkout("ada", "tok_visa", AUTH)
    assert await store.load("ada") == before


async def test_a_write_racing_the_checkout_is_kept(service: CartService, store: FakeStore) -> None:
    await service.set_quantity("ada", "p-1", 1)

    async def customer_adds_more() -> None:
        store.before_empty = None
        await service.set_quantity("ada", "p-2", 1)

    store.before_empty = customer_adds_more
    done = await service.checkout("ada", "tok_visa", AUTH)

    assert not done.cart_emptied
    cart = await store.load("ada")
    assert [(line.product_id, line.quantity) for line in cart.lines] == [("p-1", 1), ("p-2", 1)]


async def test_the_order_stands_when_the_cart_cannot_be_emptied(
    service: CartService, store: FakeStore, orders: FakeOrders
) -> None:
    await service.set_quantity("ada", "p-1", 1)
    store.fail_empty = True
    done = await service.checkout("ada", "tok_visa", AUTH)
    assert (done.order["id"], done.cart_emptied) == ("order-1", False)

    store.fail_empty = False
    retried = await service.checkout("ada", "tok_visa", AUTH)
    assert (retried.order["id"], retried.replayed, retried.cart_emptied) == ("order-1", True, True)
    assert len(orders.by_key) == 1


async def test_each_customer_has_their_own_cart(service: CartService) -> None:
    await service.set_quantity("ada", "p-1", 1)
    assert (await service.view("grace")).lines == ()
    assert [line.product_id for line in (await service.view("ada")).lines] == ["p-1"]
