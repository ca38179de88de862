"""The cart's use cases: view, set a line, remove a line, check out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ecommerce.cart.domain import (
    Cart,
    CartLine,
    PricedCart,
    PricedLine,
    ProductSnapshot,
    Shortfall,
    checkout_key,
    order_items,
    price_cart,
    price_line,
    quantity_allowed,
    shortfalls,
)
from ecommerce.cart.orders_client import PlacedOrder
from ecommerce.cart.store import CartStoreUnavailable
from ecommerce.platform.logging import get_logger

log = get_logger("cart")


class UnknownProduct(Exception):
    """The catalog has no product with this id."""


class InvalidQuantity(Exception):
    pass


class EmptyCart(Exception):
    pass


class CannotFill(Exception):
    """The catalog cannot fill some lines now; nothing was ordered."""

    def __init__(self, lines: list[Shortfall]) -> None:
        super().__init__(", ".join(line.product_id for line in lines))
        self.lines = lines


class CartRepository(Protocol):
    """What the use cases need of a store; `CartStore` is the Redis one."""

    async def load(self, user_id: str) -> Cart: ...

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int, *, version_floor: int = 0
    ) -> int: ...

    async def remove(
        self, user_id: str, product_id: str, *, version_floor: int = 0
    ) -> int | None: ...

    async def empty_into_order(
        self, user_id: str, version: int, order_id: str, *, version_floor: int = 0
    ) -> bool: ...


class Catalog(Protocol):
    async def product(self, product_id: str) -> ProductSnapshot | None: ...

    async def products(self, product_ids: Iterable[str]) -> dict[str, ProductSnapshot | None]: ...


class Orders(Protocol):
    async def place(
        self,
        *,
        items: list[dict[str, object]],
        payment_token: str,
        idempotency_key: str,
        authorization: str,
    ) -> PlacedOrder: ...

    async def get(self, order_id: str, *, authorization: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class CheckedOut:
    order: dict[str, Any]
    replayed: bool
    """The orders API answered with an order placed before for this cart version."""
    cart_emptied: bool
    """False when the cart changed while the order was placed: that change is kept."""


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class CartService:
    def __init__(
        self,
        store: CartRepository,
        catalog: Catalog,
        orders: Orders,
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._orders = orders
        self._clock_ms = clock_ms

    async def view(self, user_id: str) -> PricedCart:
        cart = await self._store.load(user_id)
        products = await self._catalog.products(line.product_id for line in cart.lines)
        return price_cart(cart, products)

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int
    ) -> tuple[PricedLine, int]:
        """Put `quantity` of a catalog product in the cart: the priced line and the new version.

        `UnknownProduct`, `InvalidQuantity`, or the store's `CartFull`. Stock is not checked
        here: a cart reserves nothing, and checkout checks it again.
        """
        if not quantity_allowed(quantity):
            raise InvalidQuantity(quantity)
        product = await self._catalog.product(product_id)
        if product is None:
            raise UnknownProduct(product_id)
        version = await self._store.set_quantity(
            user_id, product_id, quantity, version_floor=self._clock_ms()
        )
        return price_line(CartLine(product_id, quantity), product), version

    async def remove(self, user_id: str, product_id: str) -> int | None:
        return await self._store.remove(user_id, product_id, version_floor=self._clock_ms())

    async def checkout(self, user_id: str, payment_token: str, authorization: str) -> CheckedOut:
        """Order what the cart holds at its current version, then empty it if still there.

        The orders API is called with an Idempotency-Key derived from the cart's version: a
        retried or racing checkout of the same version gets the same order back.
        """
        cart = await self._store.load(user_id)
        if cart.empty:
            return await self._checked_out_before(cart, authorization)
        products = await self._catalog.products(line.product_id for line in cart.lines)
        unfillable = shortfalls(cart.lines, products)
        if unfillable:
            raise CannotFill(unfillable)
        key = checkout_key(user_id, cart.version)
        placed = await self._orders.place(
            items=order_items(cart),
            payment_token=payment_token,
            idempotency_key=key,
            authorization=authorization,
        )
        order_id = str(placed.order["id"])
        try:
            emptied = await self._store.empty_into_order(
                user_id, cart.version, order_id, version_floor=self._clock_ms()
            )
        except CartStoreUnavailable as error:
            # The order stands; a retry of this version replays it and empties the cart then.
            log.warning("cart_not_emptied", order_id=order_id, error=str(error))
            emptied = False
        log.info(
            "cart_checked_out",
            order_id=order_id,
            cart_version=cart.version,
            replayed=placed.replayed,
            cart_emptied=emptied,
        )
        return CheckedOut(placed.order, placed.replayed, emptied)

    async def _checked_out_before(self, cart: Cart, authorization: str) -> CheckedOut:
        """An empty cart that a checkout emptied and nothing changed since: that order again."""
        if cart.checked_out_as is not None:
            order = await self._orders.get(cart.checked_out_as, authorization=authorization)
            if order is not None:
                return CheckedOut(order, replayed=True, cart_emptied=True)
        raise EmptyCart()
