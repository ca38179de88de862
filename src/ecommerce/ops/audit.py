"""The system's invariants, checked across the stores: what `ecommerce audit` reports. Pure.

A `Snapshot` is what the stores hold (read by `audit_sources`); `audit` turns it into one
`Check` per invariant, each with how many things it looked at and every violation it found:

- orders settle: every order older than the saga's bound is CONFIRMED or CANCELLED (one
  waiting for the customer's authentication, PAYMENT_ACTION_REQUIRED, within the action's
  expiry and the sweep's round after it), and every status is one this audit knows;
- one net capture per CONFIRMED order, none per CANCELLED one (the payments ledger, and the
  gateway's own payment intents and refunds when it can be asked), and no charge without an
  order;
- reservations match orders: none without its order, none still holding stock for a settled
  order, COMMITTED exactly for CONFIRMED orders;
- stock is conserved: never below zero and, given a baseline taken earlier, per product
  baseline - committed - held (by reservations made since) = available;
- the outbox is drained (nothing waiting longer than `outbox_seconds`);
- every dead-lettered message is explained (the consumer wrote its reason).

An order counts as settled once its last change is older than `settle_seconds`: a newer one
may still be on its way through the saga, and is checked by the next audit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

TERMINAL = frozenset({"CONFIRMED", "CANCELLED"})
IN_FLIGHT = frozenset({"PENDING", "RESERVED"})
WAITING = frozenset({"PAYMENT_ACTION_REQUIRED"})
"""Waiting for the customer (3-D Secure): bound by the action's expiry, not the saga's."""
KNOWN_STATUSES = TERMINAL | IN_FLIGHT | WAITING
HOLDING = frozenset({"RESERVED", "COMMITTED"})
"""Reservation statuses that hold stock."""
RESERVATION_RETENTION = timedelta(days=30)
"""Reservations that hold no more stock expire (DynamoDB TTL) after this."""


@dataclass(frozen=True)
class OrderRow:
    id: str
    status: str
    reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ReservationRow:
    order_id: str
    status: str
    lines: tuple[tuple[str, int], ...]
    created_at: datetime | None


@dataclass(frozen=True)
class PaymentRow:
    order_id: str
    status: str
    approved: bool | None
    refund_status: str | None


@dataclass(frozen=True)
class GatewayCharge:
    """What the payment gateway says of one order: captured intents and refunded ones."""

    order_id: str
    captured: int
    refunded: int

    @property
    def net(self) -> int:
        return self.captured - self.refunded


@dataclass(frozen=True)
class DeadLetterRow:
    queue: str
    message_id: str
    reason: str | None
    """What the consumer wrote (`failure_reason`); None for a message the redrive policy moved."""


@dataclass(frozen=True)
class StockBaseline:
    taken_at: datetime
    stock: Mapping[str, int]


@dataclass(frozen=True)
class Snapshot:
    taken_at: datetime
    orders: Sequence[OrderRow]
    reservations: Sequence[ReservationRow]
    stock: Mapping[str, int]
    payments: Sequence[PaymentRow]
    outbox_waiting: Sequence[datetime]
    """When each unpublished outbox row was written."""
    dead_letters: Sequence[DeadLetterRow]
    gateway: Sequence[GatewayCharge] | None = None
    """None when the gateway could not be asked."""


@dataclass
class Check:
    name: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)
    note: str | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class Bounds:
    settle_seconds: float = 300.0
    outbox_seconds: float = 60.0
    action_seconds: float = 960.0
    """The longest an order may wait for the customer: the action's expiry (900 s by default,
    PAYMENT_ACTION_EXPIRY_SECONDS) and a minute for the sweep that cancels it."""


def audit(
    snapshot: Snapshot, bounds: Bounds = Bounds(), baseline: StockBaseline | None = None
) -> list[Check]:
    orders = {order.id: order for order in snapshot.orders}
    settled_before = snapshot.taken_at - timedelta(seconds=bounds.settle_seconds)
    settled = {order.id: order for order in snapshot.orders if order.updated_at <= settled_before}
    return [
        _orders_settle(
            snapshot.orders,
            settled_before,
            snapshot.taken_at - timedelta(seconds=bounds.action_seconds),
        ),
        _captures(orders, settled, snapshot.payments),
        _gateway_captures(orders, settled, snapshot.gateway),
        _reservations(orders, settled, snapshot.reservations, snapshot.taken_at),
        _stock(snapshot, baseline),
        _outbox(snapshot, bounds),
        _dead_letters(snapshot.dead_letters),
    ]


def _orders_settle(
    orders: Sequence[OrderRow], settled_before: datetime, expired_before: datetime
) -> Check:
    check = Check("orders settle within the saga's bound", checked=len(orders))
    for order in orders:
        if order.status not in KNOWN_STATUSES:
            check.violations.append(f"order {order.id}: unknown status {order.status!r}")
        elif order.status in WAITING:
            if order.updated_at <= expired_before:
                check.violations.append(
                    f"order {order.id}: still {order.status} since {order.updated_at:%H:%M:%S}"
                )
        elif order.status not in TERMINAL and order.created_at <= settled_before:
            check.violations.append(
                f"order {order.id}: still {order.status} since {order.created_at:%H:%M:%S}"
            )
    return check


def _captures(
    orders: Mapping[str, OrderRow],
    settled: Mapping[str, OrderRow],
    payments: Sequence[PaymentRow],
) -> Check:
    check = Check("one net capture per CONFIRMED order, none per CANCELLED (ledger)")
    by_order = {payment.order_id: payment for payment in payments}
    for order in settled.values():
        if order.status not in TERMINAL:
            continue
        check.checked += 1
        net = _ledger_net(by_order.get(order.id))
        if order.status == "CONFIRMED" and net != 1:
            check.violations.append(f"order {order.id}: CONFIRMED with {net} net capture(s)")
        if order.status == "CANCELLED" and net != 0:
            check.violations.append(f"order {order.id}: CANCELLED but charged ({order.reason})")
    for payment in payments:
        if payment.order_id not in orders and _ledger_net(payment):
            check.violations.append(f"payment for order {payment.order_id}: no such order")
    return check


def _ledger_net(payment: PaymentRow | None) -> int:
    if payment is None or payment.status != "COMPLETED" or payment.approved is not True:
        return 0
    return 0 if payment.refund_status == "REFUNDED" else 1


def _gateway_captures(
    orders: Mapping[str, OrderRow],
    settled: Mapping[str, OrderRow],
    gateway: Sequence[GatewayCharge] | None,
) -> Check:
    check = Check("one net capture per CONFIRMED order, none per CANCELLED (gateway)")
    if gateway is None:
        check.note = "gateway not asked (no --gateway-url; in AWS the processor's dashboard)"
        return check
    by_order = {charge.order_id: charge for charge in gateway}
    for order in settled.values():
        if order.status not in TERMINAL:
            continue
        check.checked += 1
        charge = by_order.get(order.id)
        net = charge.net if charge is not None else 0
        expected = 1 if order.status == "CONFIRMED" else 0
        if net != expected:
            check.violations.append(f"order {order.id}: {order.status} with {net} at the gateway")
        if charge is not None and charge.captured > 1:
            check.violations.append(f"order {order.id}: captured {charge.captured} times")
    for charge in gateway:
        if charge.order_id not in orders and charge.net:
            check.violations.append(f"gateway charge for order {charge.order_id}: no such order")
    return check


def _reservations(
    orders: Mapping[str, OrderRow],
    settled: Mapping[str, OrderRow],
    reservations: Sequence[ReservationRow],
    now: datetime,
) -> Check:
    check = Check("reservations match their orders", checked=len(reservations))
    found = {reservation.order_id: reservation for reservation in reservations}
    for reservation in reservations:
        order = orders.get(reservation.order_id)
        if order is None:
            check.violations.append(f"reservation {reservation.order_id}: no such order")
            continue
        if order.id not in settled:
            continue
        if reservation.status in HOLDING and order.status == "CANCELLED":
            check.violations.append(
                f"order {order.id}: CANCELLED, its reservation still {reservation.status}"
            )
        elif reservation.status == "RESERVED" and order.status == "CONFIRMED":
            check.violations.append(f"order {order.id}: CONFIRMED, its reservation uncommitted")
        elif reservation.status == "COMMITTED" and order.status != "CONFIRMED":
            check.violations.append(f"order {order.id}: {order.status}, reservation COMMITTED")
    for order in settled.values():
        recent = order.created_at > now - RESERVATION_RETENTION
        if order.status == "CONFIRMED" and order.id not in found and recent:
            check.violations.append(f"order {order.id}: CONFIRMED without a reservation")
    return check


def _stock(snapshot: Snapshot, baseline: StockBaseline | None) -> Check:
    check = Check("stock conserved, never below zero", checked=len(snapshot.stock))
    for product, available in sorted(snapshot.stock.items()):
        if available < 0:
            check.violations.append(f"product {product}: stock {available}")
    if baseline is None:
        check.note = "no baseline: conservation not checked (--stock-baseline FILE)"
        return check
    taken = Counter[str]()
    for reservation in snapshot.reservations:
        made = reservation.created_at
        if reservation.status in HOLDING and made is not None and made >= baseline.taken_at:
            for product, quantity in reservation.lines:
                taken[product] += quantity
    for product, initial in sorted(baseline.stock.items()):
        now = snapshot.stock.get(product)
        if now is None:
            continue  # deleted since
        if initial - taken[product] != now:
            check.violations.append(
                f"product {product}: {initial} at the baseline - {taken[product]} taken "
                f"!= {now} available"
            )
    return check


def _outbox(snapshot: Snapshot, bounds: Bounds) -> Check:
    check = Check("outbox drained", checked=len(snapshot.outbox_waiting))
    stale_before = snapshot.taken_at - timedelta(seconds=bounds.outbox_seconds)
    stale = [written for written in snapshot.outbox_waiting if written <= stale_before]
    if stale:
        check.violations.append(
            f"{len(stale)} event(s) unpublished for over {bounds.outbox_seconds:.0f} s "
            f"(oldest written {min(stale):%H:%M:%S})"
        )
    return check


def _dead_letters(letters: Sequence[DeadLetterRow]) -> Check:
    check = Check("every dead-lettered message explained", checked=len(letters))
    for letter in letters:
        if not letter.reason:
            check.violations.append(
                f"{letter.queue}-dlq {letter.message_id}: no reason (moved by the redrive policy)"
            )
    reasons = Counter(letter.reason.split(":")[0] for letter in letters if letter.reason)
    if reasons:
        check.note = ", ".join(f"{count} {kind}" for kind, count in reasons.most_common())
    return check


def violations(checks: Sequence[Check]) -> int:
    return sum(len(check.violations) for check in checks)
