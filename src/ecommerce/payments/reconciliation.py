"""Reconciliation: the processor's record against the ledger and the orders. Pure: no I/O.

The processor is the truth about money; the ledger and the orders must agree with it:

- `charge_without_confirmed_order`: a capture (not refunded) whose order is not CONFIRMED,
  or a second capture for an order whose payment is another one. Repair: refund it when the
  order is CANCELLED or the capture is a second one; publish the missing PaymentSucceeded when
  the order is still waiting for its outcome (the webhook or the charge's answer was lost).
- `confirmed_without_capture`: a CONFIRMED order with no succeeded payment at the processor.
  Not repaired: a person decides (ship anyway, ask the customer to pay again, cancel).
- `refund_missing_in_ledger`: the processor refunded it (a refund from its dashboard, or ours
  not recorded before a crash). Repair: record it in the ledger.
- `refund_missing_at_processor`: the ledger says refunded, the processor has no refund. Not
  repaired: refunding again could pay twice if the ledger is right about another processor.
- `dispute`: the customer's bank disputes a capture. Not repaired: it needs evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ecommerce.payments.ledger import PaymentRecord, PaymentStatus

SETTLED = ("CONFIRMED", "CANCELLED")


class Kind(StrEnum):
    CHARGE_WITHOUT_CONFIRMED_ORDER = "charge_without_confirmed_order"
    CONFIRMED_WITHOUT_CAPTURE = "confirmed_without_capture"
    REFUND_MISSING_IN_LEDGER = "refund_missing_in_ledger"
    REFUND_MISSING_AT_PROCESSOR = "refund_missing_at_processor"
    DISPUTE = "dispute"


class Repair(StrEnum):
    REFUND = "refund"
    PUBLISH_OUTCOME = "publish_outcome"
    RECORD_REFUND = "record_refund"


@dataclass(frozen=True)
class Intent:
    """A PaymentIntent as the processor lists it."""

    id: str
    order_id: str | None
    status: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Refund:
    id: str
    payment_intent: str
    amount: int
    status: str = "succeeded"


@dataclass(frozen=True)
class Dispute:
    id: str
    payment_intent: str
    reason: str
    status: str


@dataclass(frozen=True)
class OrderView:
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class Discrepancy:
    kind: Kind
    order_id: str
    payment_intent: str | None
    detail: str
    repair: Repair | None = None
    refund_id: str | None = None
    """For RECORD_REFUND: the processor's refund to record."""


def reconcile(
    intents: Iterable[Intent],
    refunds: Iterable[Refund],
    disputes: Iterable[Dispute],
    ledger: Mapping[str, PaymentRecord],
    orders: Mapping[str, OrderView],
) -> list[Discrepancy]:
    """Every disagreement, ordered by order id then kind. `orders` must hold every order
    that an intent names and every CONFIRMED order of the period looked at."""
    refunded: dict[str, list[Refund]] = {}
    for refund in refunds:
        if refund.status == "succeeded":
            refunded.setdefault(refund.payment_intent, []).append(refund)
    found: list[Discrepancy] = []
    captured: set[str] = set()
    for intent in intents:
        if intent.order_id is None:
            continue  # not ours: another integration on the same processor account
        order = orders.get(intent.order_id)
        record = ledger.get(intent.order_id)
        its_refunds = refunded.get(intent.id, [])
        if intent.status == "succeeded":
            captured.add(intent.order_id)
            found.extend(_capture(intent, order, record, its_refunds))
    for order_id, order in orders.items():
        if order.status == "CONFIRMED" and order_id not in captured:
            record = ledger.get(order_id)
            found.append(
                Discrepancy(
                    Kind.CONFIRMED_WITHOUT_CAPTURE,
                    order_id,
                    record.payment_intent_id if record else None,
                    "the order is CONFIRMED; the processor has no succeeded payment for it",
                )
            )
    by_intent = {r.payment_intent_id: r for r in ledger.values() if r.payment_intent_id}
    for record in ledger.values():
        intent_id = record.payment_intent_id
        if record.refund_status == "REFUNDED" and intent_id and intent_id not in refunded:
            found.append(
                Discrepancy(
                    Kind.REFUND_MISSING_AT_PROCESSOR,
                    record.order_id,
                    intent_id,
                    f"the ledger records refund {record.refund_id}; the processor has none",
                )
            )
    for dispute in disputes:
        disputed = by_intent.get(dispute.payment_intent)
        found.append(
            Discrepancy(
                Kind.DISPUTE,
                disputed.order_id if disputed else "?",
                dispute.payment_intent,
                f"dispute {dispute.id} ({dispute.reason}, {dispute.status})",
            )
        )
    return sorted(found, key=lambda d: (d.order_id, d.kind.value))


def _capture(
    intent: Intent, order: OrderView | None, record: PaymentRecord | None, refunds: list[Refund]
) -> list[Discrepancy]:
    assert intent.order_id is not None
    found: list[Discrepancy] = []
    refunded_amount = sum(r.amount for r in refunds)
    if refunds and (record is None or record.refund_status != "REFUNDED"):
        found.append(
            Discrepancy(
                Kind.REFUND_MISSING_IN_LEDGER,
                intent.order_id,
                intent.id,
                f"the processor refunded {refunded_amount} {intent.currency.upper()}; "
                "the ledger has no refund",
                Repair.RECORD_REFUND if record is not None else None,
                refund_id=refunds[0].id,
            )
        )
    if refunded_amount >= intent.amount:
        return found
    other = record.payment_intent_id if record is not None else None
    if other is not None and other != intent.id:
        found.append(
            Discrepancy(
                Kind.CHARGE_WITHOUT_CONFIRMED_ORDER,
                intent.order_id,
                intent.id,
                f"{intent.amount} {intent.currency.upper()} captured a second time; "
                f"the order's payment is {other}",
                Repair.REFUND,
            )
        )
        return found
    if order is not None and order.status == "CONFIRMED":
        return found
    status = "unknown" if order is None else order.status
    if order is not None and order.status == "CANCELLED":
        repair: Repair | None = Repair.REFUND
        why = f"the order is CANCELLED ({order.reason}); the capture was not refunded"
    elif (
        order is not None
        and record is not None
        and record.status
        in (
            PaymentStatus.ACTION_REQUIRED,
            PaymentStatus.COMPLETED,
        )
    ):
        repair = Repair.PUBLISH_OUTCOME
        why = f"the order is {status}: its PaymentSucceeded was never applied"
    else:
        repair = None
        ledger = "has no payment" if record is None else f"is {record.status.value}"
        why = f"the order is {status}; the ledger {ledger}"
    found.append(
        Discrepancy(
            Kind.CHARGE_WITHOUT_CONFIRMED_ORDER,
            intent.order_id,
            intent.id,
            f"{intent.amount} {intent.currency.upper()} captured; {why}",
            repair,
        )
    )
    return found
