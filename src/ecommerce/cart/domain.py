"""The cart without I/O: limits, pricing against catalog snapshots, stock checks, checkout keys."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ecommerce.events import Money

MAX_LINES = 50
MIN_QUANTITY = 1
MAX_QUANTITY = 100
DEFAULT_CURRENCY = "USD"
"""The currency of an empty cart's zero total."""

_PRODUCT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def is_product_id(value: str) -> bool:
    """The catalog's id shape; anything else names no product (and never a reserved field)."""
    return _PRODUCT_ID.fullmatch(value) is not None


def quantity_allowed(quantity: int) -> bool:
    return MIN_QUANTITY <= quantity <= MAX_QUANTITY


@dataclass(frozen=True)
class CartLine:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Cart:
    """What the store holds for one customer: lines by product id and the cart's version."""

    lines: tuple[CartLine, ...]
    version: int
    checked_out_as: str | None = None
    """The order this cart was emptied into, while nothing has been written to it since."""

    @property
    def empty(self) -> bool:
        return not self.lines


def cart_of(quantities: Mapping[str, int], version: int, checked_out_as: str | None = None) -> Cart:
    """A cart with its lines in product id order, so that one version is one order body."""
    lines = tuple(CartLine(pid, quantities[pid]) for pid in sorted(quantities))
    return Cart(lines, version, checked_out_as)


@dataclass(frozen=True)
class ProductSnapshot:
    """What the catalog says of a product right now."""

    product_id: str
    price: Money
    stock: int


@dataclass(frozen=True)
class PricedLine:
    product_id: str
    quantity: int
    unit_price: Money | None
    """None when the product is no longer in the catalog."""

    @property
    def available(self) -> bool:
        return self.unit_price is not None

    @property
    def line_total(self) -> Money | None:
        if self.unit_price is None:
            return None
        return Money(
            amount=self.unit_price.amount * self.quantity, currency=self.unit_price.currency
        )


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[PricedLine, ...]
    total: Money | None
    """The sum of the available lines; None if they do not share one currency."""
    version: int


def price_line(line: CartLine, product: ProductSnapshot | None) -> PricedLine:
    return PricedLine(line.product_id, line.quantity, product.price if product else None)


def price_cart(cart: Cart, products: Mapping[str, ProductSnapshot | None]) -> PricedCart:
    lines = tuple(price_line(line, products.get(line.product_id)) for line in cart.lines)
    totals = [line.line_total for line in lines if line.line_total is not None]
    currencies = {money.currency for money in totals}
    total: Money | None
    if not totals:
        total = Money(amount=0, currency=DEFAULT_CURRENCY)
    elif len(currencies) == 1:
        total = Money(amount=sum(money.amount for money in totals), currency=currencies.pop())
    else:
        total = None
    return PricedCart(lines, total, cart.version)


@dataclass(frozen=True)
class Shortfall:
    """A line the catalog cannot fill now: gone from the catalog, or not enough stock."""

    product_id: str
    requested: int
    available: int
    reason: str
    """`not_in_catalog` or `out_of_stock`."""


def shortfalls(
    lines: Sequence[CartLine], products: Mapping[str, ProductSnapshot | None]
) -> list[Shortfall]:
    found: list[Shortfall] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            found.append(Shortfall(line.product_id, line.quantity, 0, "not_in_catalog"))
        elif product.stock < line.quantity:
            found.append(
                Shortfall(line.product_id, line.quantity, max(product.stock, 0), "out_of_stock")
            )
    return found


def checkout_key(user_id: str, version: int) -> str:
    """The orders API's Idempotency-Key for checking out this version of this customer's cart.

    The same cart version always gives the same key, so racing or retried checkouts of one
    version place one order; any write to the cart makes a new version and so a new key.
    """
    return f"cart-{user_id}-{version}"


def next_version(current: int, floor: int) -> int:
    """The version after a write: one more, and never below `floor` (the clock, in ms).

    The floor keeps versions, and so checkout keys, from repeating when a cart is gone and
    comes back (its TTL ran out, or Redis lost it) while the orders API still remembers
    the keys of earlier checkouts. The store's Lua scripts apply this same rule.
    """
    return max(current + 1, floor)


def order_items(cart: Cart) -> list[dict[str, object]]:
    """The `items` of the orders API request for this cart, in a stable order."""
    return [{"product_id": line.product_id, "quantity": line.quantity} for line in cart.lines]
