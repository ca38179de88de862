"""Pricing a new order from the requested lines and the catalog's prices. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ecommerce.events import LineItem, Money
from ecommerce.orders.domain import Order, Status, Transition


class PlacementError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RequestedLine:
    product_id: str
    quantity: int


def merge_lines(lines: Sequence[RequestedLine]) -> list[RequestedLine]:
    """One line per product, quantities added, in first-seen order."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return [RequestedLine(product_id, quantity) for product_id, quantity in totals.items()]


def price_order(
    *,
    order_id: str,
    customer_id: str,
    lines: Sequence[RequestedLine],
    prices: Mapping[str, Money | None],
    payment_token: str,
    now: datetime,
) -> Order:
    items: list[LineItem] = []
    for index, line in enumerate(merge_lines(lines)):
        price = prices.get(line.product_id)
        if price is None:
            raise PlacementError(f"items.{index}.product_id", f"no product {line.product_id}")
        items.append(LineItem(product_id=line.product_id, quantity=line.quantity, unit_price=price))
    currencies = {item.unit_price.currency for item in items}
    if len(currencies) != 1:
        raise PlacementError("items", "all items of an order must share one currency")
    total = Money(
        amount=sum(item.unit_price.amount * item.quantity for item in items),
        currency=currencies.pop(),
    )
    return Order(
        id=order_id,
        customer_id=customer_id,
        status=Status.PENDING,
        items=tuple(items),
        total=total,
        payment_token=payment_token,
        created_at=now,
        updated_at=now,
        history=[Transition(None, Status.PENDING, None, "placed", now)],
    )


def request_fingerprint(body: Mapping[str, object]) -> str:
    """Stable hash of a request body, to tell a replay from a different request under one key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
