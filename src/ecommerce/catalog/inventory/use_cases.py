"""The inventory worker's use cases: reserve on OrderPlaced, commit on OrderConfirmed, release
on OrderCancelled. Each is idempotent: on redelivery it reads the reservation it recorded and
publishes the same outcome again, under the same event id.

Reservations that hold no stock, or whose order is confirmed, expire after a retention (see
`reservation_store`). An OrderPlaced older than the retention may have been handled by a
reservation since expired: with no reservation on record it is refused (dead-lettered with
the reason) rather than reserved a second time. SQS keeps a message 14 days at
most, and the retention is longer, so only a hand-made replay can meet this.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from ecommerce.catalog.inventory.reservation import (
    HOLDS_STOCK,
    Line,
    Reservation,
    ReservationStatus,
    lines_of,
    short_products,
)
from ecommerce.catalog.inventory.reservation_store import ReserveResult
from ecommerce.events import (
    Envelope,
    InventoryRejected,
    InventoryReserved,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PoisonMessage,
    follow_up,
)
from ecommerce.platform.faults import crash_point
from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.publisher import Publisher

log = get_logger("inventory")

PRODUCER = "inventory"
MAX_RACE_RETRIES = 5


class Reservations(Protocol):
    """Where reservations and stock are kept (`ReservationStore`: the products table)."""

    @property
    def retention_seconds(self) -> int: ...

    async def get(self, order_id: str) -> Reservation | None: ...

    async def reserve(self, order_id: str, lines: Sequence[Line]) -> ReserveResult:
        """Take the stock of every line and record the reservation, or do nothing at all."""
        ...

    async def record(
        self,
        order_id: str,
        status: ReservationStatus,
        lines: Sequence[Line],
        rejected: Sequence[str] = (),
    ) -> bool:
        """Record a reservation that holds no stock; False if one exists."""
        ...

    async def move(self, order_id: str, frm: ReservationStatus, to: ReservationStatus) -> bool:
        """Change status without touching stock; False if not in `frm`."""
        ...

    async def release(self, reservation: Reservation) -> bool:
        """Give the stock back and mark the reservation RELEASED, atomically."""
        ...


class Inventory:
    def __init__(self, store: Reservations, publisher: Publisher) -> None:
        self._store = store
        self._publisher = publisher

    async def on_order_placed(self, event: Envelope, placed: OrderPlaced) -> None:
        lines = lines_of(placed.items)
        age = (datetime.now(UTC) - event.occurred_at).total_seconds()
        if age > self._store.retention_seconds:
            await self._replay_or_refuse(event, placed, age)
            return
        result = await self._store.reserve(placed.order_id, lines)
        if result.reserved:
            log.info("stock_reserved", lines=len(lines))
            crash_point("after_state_change")
            await self._reserved(event, placed)
            return
        if not result.existing:
            short = short_products(lines, result.short)
            if await self._store.record(
                placed.order_id, ReservationStatus.REJECTED, lines, rejected=short
            ):
                log.info("stock_rejected", products=list(short))
                await self._rejected(event, placed.order_id, short)
                return
        await self._publish_again(event, placed)

    async def _replay_or_refuse(self, event: Envelope, placed: OrderPlaced, age: float) -> None:
        if await self._store.get(placed.order_id) is not None:
            await self._publish_again(event, placed)
            return
        raise PoisonMessage(
            f"OrderPlaced is {age:.0f} s old, older than the reservation retention "
            f"({self._store.retention_seconds} s), and no reservation is on record: it may "
            "have been reserved and expired since, so it is not reserved again"
        )

    async def _publish_again(self, event: Envelope, placed: OrderPlaced) -> None:
        reservation = await self._store.get(placed.order_id)
        if reservation is None:
            raise RuntimeError("reservation vanished")  # retried: cannot happen in practice
        log.info("reservation_exists", status=reservation.status.value)
        if reservation.status in HOLDS_STOCK:
            await self._reserved(event, placed)
        elif reservation.status is ReservationStatus.REJECTED:
            await self._rejected(event, placed.order_id, reservation.rejected_products)

    async def _reserved(self, event: Envelope, placed: OrderPlaced) -> None:
        reserved = InventoryReserved(
            order_id=placed.order_id,
            items=placed.items,
            total=placed.total,
            payment_token=placed.payment_token,
        )
        await self._publisher.publish(follow_up(reserved, cause=event, producer=PRODUCER))

    async def _rejected(self, event: Envelope, order_id: str, products: tuple[str, ...]) -> None:
        rejected = InventoryRejected(order_id=order_id, reason="out_of_stock", product_ids=products)
        await self._publisher.publish(follow_up(rejected, cause=event, producer=PRODUCER))

    async def on_order_confirmed(self, _: Envelope, confirmed: OrderConfirmed) -> None:
        moved = await self._store.move(
            confirmed.order_id, ReservationStatus.RESERVED, ReservationStatus.COMMITTED
        )
        log.info("reservation_committed" if moved else "commit_not_applicable")

    async def on_order_cancelled(self, _: Envelope, cancelled: OrderCancelled) -> None:
        for _attempt in range(MAX_RACE_RETRIES):
            reservation = await self._store.get(cancelled.order_id)
            if reservation is None:
                # Cancelled before it was reserved (or after its reservation expired): leave a
                # marker so a late OrderPlaced takes nothing.
                if await self._store.record(cancelled.order_id, ReservationStatus.CANCELLED, ()):
                    log.info("no_reservation_to_release")  # not reserved yet, or expired
                    return
                continue
            if reservation.status not in HOLDS_STOCK:
                log.info("release_not_applicable", status=reservation.status.value)
                return
            if await self._store.release(reservation):
                log.info("stock_released", lines=len(reservation.lines))
                return
        raise RuntimeError("reservation kept changing while releasing; will retry")
