"""Stock reservations: what an order holds, and how a reservation moves. Pure.

A reservation is all-or-nothing per order. Its status moves
RESERVED → COMMITTED (order confirmed) → RELEASED (cancelled after confirmation), or
RESERVED → RELEASED (cancelled). REJECTED records an order that could not be reserved, and
CANCELLED records a cancel that arrived before the order was ever reserved, so that a late
OrderPlaced takes no stock for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ecommerce.events import LineItem


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


HOLDS_STOCK = (ReservationStatus.RESERVED, ReservationStatus.COMMITTED)


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    order_id: str
    status: ReservationStatus
    lines: tuple[Line, ...]
    rejected_products: tuple[str, ...] = ()


def lines_of(items: Sequence[LineItem]) -> tuple[Line, ...]:
    """One line per product (a transaction may touch an item once), sorted for determinism."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item.product_id] = totals.get(item.product_id, 0) + item.quantity
    return tuple(Line(product_id, quantity) for product_id, quantity in sorted(totals.items()))


def short_products(lines: Sequence[Line], failed_line_indexes: Sequence[int]) -> tuple[str, ...]:
    """The products whose stock condition failed, from the transaction's cancellation reasons."""
    return tuple(lines[index].product_id for index in failed_line_indexes if index < len(lines))
