"""Reconciliation's I/O: read the processor, the ledger and the orders; make the safe repairs.

The comparison itself is pure (`ecommerce.payments.reconciliation`). Payments younger than
`settle` are left out: their webhooks and outcomes may still be on their way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ecommerce.events import Money, PaymentSucceeded, new_event
from ecommerce.payments.gateway_client import GatewayClient, GatewayRejected
from ecommerce.payments.ledger import Ledger, PaymentRecord, PaymentStatus
from ecommerce.payments.reconciliation import (
    Discrepancy,
    Dispute,
    Intent,
    OrderView,
    Refund,
    Repair,
    reconcile,
)
from ecommerce.platform.messaging.publisher import EventPublisher

PRODUCER = "payments-reconcile"
LEDGER_READS_AT_ONCE = 16


class OrderStatuses(Protocol):
    """What reconciliation reads of the orders (the orders store has it)."""

    async def statuses(self, order_ids: Sequence[str]) -> dict[str, tuple[str, str | None]]: ...

    async def confirmed_between(self, start: datetime, end: datetime) -> list[str]: ...


@dataclass(frozen=True)
class Sources:
    gateway: GatewayClient
    ledger: Ledger
    orders: OrderStatuses


@dataclass(frozen=True)
class Report:
    discrepancies: list[Discrepancy]
    intents: int
    orders: int


def _created(since: datetime) -> list[tuple[str, str]]:
    return [("created[gte]", str(int(since.timestamp())))]


async def compare(
    sources: Sources, *, since: datetime, settle: timedelta, now: datetime | None = None
) -> Report:
    now = now or datetime.now(UTC)
    cutoff = int((now - settle).timestamp())
    raw_intents, raw_refunds, raw_disputes = await asyncio.gather(
        sources.gateway.list_all("payment_intents", _created(since)),
        sources.gateway.list_all("refunds", _created(since)),
        sources.gateway.list_all("disputes", _created(since)),
    )
    intents = [_intent(i) for i in raw_intents if int(i.get("created", 0)) <= cutoff]
    ours = {i.order_id for i in intents if i.order_id}
    confirmed = await sources.orders.confirmed_between(since, now - settle)
    order_ids = sorted(ours | set(confirmed))
    statuses = await sources.orders.statuses(order_ids)
    orders = {oid: OrderView(status, reason) for oid, (status, reason) in statuses.items()}
    ledger = await _ledger(sources.ledger, order_ids)
    found = reconcile(
        intents,
        [_refund(r) for r in raw_refunds],
        [_dispute(d) for d in raw_disputes],
        ledger,
        orders,
    )
    return Report(found, len(intents), len(orders))


async def repair(
    sources: Sources, publisher: EventPublisher, found: Sequence[Discrepancy]
) -> list[tuple[Discrepancy, str]]:
    """Make the safe repairs; what each one did."""
    done: list[tuple[Discrepancy, str]] = []
    for discrepancy in found:
        if discrepancy.repair is None or discrepancy.payment_intent is None:
            continue
        record = await sources.ledger.get(discrepancy.order_id)
        outcome = await _repair_one(sources, publisher, discrepancy, record)
        done.append((discrepancy, outcome))
    return done


async def _repair_one(
    sources: Sources,
    publisher: EventPublisher,
    discrepancy: Discrepancy,
    record: PaymentRecord | None,
) -> str:
    order_id, intent_id = discrepancy.order_id, discrepancy.payment_intent
    assert intent_id is not None
    if record is not None and record.status is PaymentStatus.ACTION_REQUIRED:
        # The processor took the money: the ledger catches up before anything else.
        await sources.ledger.settle_action(
            order_id, approved=True, payment_intent_id=intent_id, decline_code=None
        )
    if discrepancy.repair is Repair.REFUND:
        # The order's own payment: the worker's refund key, so the two never refund twice.
        own = record is None or record.payment_intent_id in (None, intent_id)
        try:
            refund = await sources.gateway.refund(
                payment_intent_id=intent_id,
                idempotency_key=f"refund-{order_id}" if own else f"refund-{intent_id}",
            )
            refund_id = refund.refund_id
        except GatewayRejected as error:
            if error.code != "charge_already_refunded":
                raise
            refund_id = "already-refunded-at-gateway"
        if own:
            await sources.ledger.record_processor_refund(order_id, refund_id)
        return f"refunded ({refund_id})"
    if discrepancy.repair is Repair.RECORD_REFUND:
        await sources.ledger.record_processor_refund(order_id, discrepancy.refund_id or "?")
        return f"ledger records refund {discrepancy.refund_id}"
    intent = await sources.gateway.get_intent(intent_id)
    succeeded = PaymentSucceeded(
        order_id=order_id,
        payment_id=intent_id,
        amount=Money(amount=int(intent["amount"]), currency=str(intent["currency"]).upper()),
    )
    await publisher.publish(new_event(succeeded, producer=PRODUCER, correlation_id=order_id))
    return "PaymentSucceeded published"


async def _ledger(ledger: Ledger, order_ids: Sequence[str]) -> dict[str, PaymentRecord]:
    found: dict[str, PaymentRecord] = {}
    for start in range(0, len(order_ids), LEDGER_READS_AT_ONCE):
        chunk = order_ids[start : start + LEDGER_READS_AT_ONCE]
        for record in await asyncio.gather(*(ledger.get(oid) for oid in chunk)):
            if record is not None:
                found[record.order_id] = record
    return found


def _intent(raw: dict[str, Any]) -> Intent:
    metadata = raw.get("metadata") or {}
    order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
    return Intent(
        id=str(raw["id"]),
        order_id=str(order_id) if order_id else None,
        status=str(raw.get("status")),
        amount=int(raw.get("amount") or 0),
        currency=str(raw.get("currency") or ""),
    )


def _refund(raw: dict[str, Any]) -> Refund:
    return Refund(
        str(raw["id"]),
        str(raw.get("payment_intent")),
        int(raw.get("amount") or 0),
        str(raw.get("status")),
    )


def _dispute(raw: dict[str, Any]) -> Dispute:
    return Dispute(
        str(raw["id"]),
        str(raw.get("payment_intent")),
        str(raw.get("reason")),
        str(raw.get("status")),
    )


def render(report: Report, repaired: Sequence[tuple[Discrepancy, str]] = ()) -> str:
    lines = [
        f"{report.intents} payments at the processor, {report.orders} orders compared: "
        f"{len(report.discrepancies)} discrepancies"
    ]
    if not report.discrepancies:
        return lines[0]
    done = {id(d): outcome for d, outcome in repaired}
    rows = [("KIND", "ORDER", "PAYMENT", "REPAIR", "DETAIL")]
    for d in report.discrepancies:
        action = done.get(id(d)) or (f"--repair: {d.repair.value}" if d.repair else "by hand")
        rows.append((d.kind.value, d.order_id, d.payment_intent or "-", action, d.detail))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        )
    return "\n".join(lines)
