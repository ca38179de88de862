"""In-memory stand-ins for the ports the saga's use cases take, for unit tests without I/O.

Each keeps the contract of the real adapter it replaces (the docstrings of the Protocols in
`ecommerce.catalog.inventory` and `ecommerce.platform.messaging.publisher`), no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ecommerce.catalog.inventory_domain import HOLDS_STOCK, Line, Reservation, ReservationStatus
from ecommerce.catalog.reservations import ReserveResult
from ecommerce.events import Envelope


@dataclass
class RecordingPublisher:
    """Keeps what was published, in order."""

    events: list[Envelope] = field(default_factory=list)

    async def publish(self, event: Envelope, trace_header: str | None = None) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [event.type for event in self.events]


@dataclass
class InMemoryReservations:
    """Stock per product and one reservation per order, changed all-or-nothing."""

    stock: dict[str, int]
    retention_seconds: int = 30 * 24 * 3600
    reservations: dict[str, Reservation] = field(default_factory=dict)

    async def get(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)

    async def reserve(self, order_id: str, lines: Sequence[Line]) -> ReserveResult:
        if order_id in self.reservations:
            return ReserveResult(reserved=False, existing=True)
        short = tuple(
            index
            for index, line in enumerate(lines)
            if self.stock.get(line.product_id, 0) < line.quantity
        )
        if short:
            return ReserveResult(reserved=False, short=short)
        for line in lines:
            self.stock[line.product_id] -= line.quantity
        self.reservations[order_id] = Reservation(
            order_id, ReservationStatus.RESERVED, tuple(lines)
        )
        return ReserveResult(reserved=True)

    async def record(
        self,
        order_id: str,
        status: ReservationStatus,
        lines: Sequence[Line],
        rejected: Sequence[str] = (),
    ) -> bool:
        if order_id in self.reservations:
            return False
        self.reservations[order_id] = Reservation(order_id, status, tuple(lines), tuple(rejected))
        return True

    async def move(self, order_id: str, frm: ReservationStatus, to: ReservationStatus) -> bool:
        found = self.reservations.get(order_id)
        if found is None or found.status is not frm:
            return False
        self.reservations[order_id] = Reservation(
            order_id, to, found.lines, found.rejected_products
        )
        return True

    async def release(self, reservation: Reservation) -> bool:
        found = self.reservations.get(reservation.order_id)
        if (
            found is None
            or found.status is not reservation.status
            or found.status not in HOLDS_STOCK
        ):
            return False
        for line in found.lines:
            self.stock[line.product_id] += line.quantity
        self.reservations[reservation.order_id] = Reservation(
            found.order_id, ReservationStatus.RELEASED, found.lines
        )
        return True
