"""What the payments ledger records of one order's payment. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaymentStatus(StrEnum):
    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    """The order was cancelled before any charge: none may happen later."""
    ACTION_REQUIRED = "ACTION_REQUIRED"
    """The processor waits for the customer to authenticate (3-D Secure); the webhook that
    follows settles it as COMPLETED, or the order's expiry as CANCELLED."""


@dataclass(frozen=True)
class PaymentRecord:
    order_id: str
    status: PaymentStatus
    approved: bool | None = None
    payment_intent_id: str | None = None
    decline_code: str | None = None
    amount: int | None = None
    currency: str | None = None
    refund_status: str | None = None
    refund_id: str | None = None
    dispute_id: str | None = None
    next_action: str | None = None
    """The processor's `next_action` (JSON) while ACTION_REQUIRED."""
    client_secret: str | None = None


@dataclass(frozen=True)
class Claim:
    token: str | None
    """Set when this worker now holds the lease; None when someone else's record stands."""
    record: PaymentRecord | None = None
