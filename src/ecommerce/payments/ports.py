"""What the payments use cases need of the ledger (`Ledger`: the DynamoDB one) and of the
payment processor (`GatewayClient`: Stripe's API, or the simulator). The use cases import
these, never the adapters (an import-linter contract in pyproject.toml).

The ledger's contract: one record per order. Every change is conditional on the record's
state and answers False (or None, or a `Claim` without a token) when the condition does not
hold, changing nothing; a payment never moves backwards.

    (none) ──claim_charge──▶ INPROGRESS ──complete_charge──▶ COMPLETED ─claim/complete_refund─▶
       │                      │   ▲ └─require_action─▶ ACTION_REQUIRED ─settle_action─▶ COMPLETED
       │                      │   └─ a lease run out (or released) is claimed again
       └─forbid_charge─▶ CANCELLED ◀──────cancel_action── ACTION_REQUIRED
"""

from __future__ import annotations

from typing import Any, Protocol

from ecommerce.payments.gateway_outcomes import ChargeResult, RefundResult
from ecommerce.payments.records import Claim, PaymentRecord


class PaymentLedger(Protocol):
    async def get(self, order_id: str) -> PaymentRecord | None: ...

    async def claim_charge(self, order_id: str, amount: int, currency: str) -> Claim:
        """A lease on the charge, when there is no record or an INPROGRESS one whose lease ran
        out; otherwise no token, and the record that stands."""
        ...

    async def complete_charge(
        self,
        order_id: str,
        token: str,
        *,
        approved: bool,
        payment_intent_id: str | None,
        decline_code: str | None,
    ) -> bool:
        """INPROGRESS under this claim -> COMPLETED with the outcome."""
        ...

    async def release_charge(self, order_id: str, token: str) -> bool:
        """End this claim's lease now (INPROGRESS stays), so the next delivery may claim."""
        ...

    async def forbid_charge(self, order_id: str) -> bool:
        """No record -> CANCELLED: the order went away before any charge."""
        ...

    async def claim_refund(self, order_id: str) -> str | None:
        """A lease on the refund of an approved COMPLETED charge that is not refunded, nor
        being refunded under a live lease."""
        ...

    async def complete_refund(self, order_id: str, token: str, refund_id: str) -> bool:
        """REFUNDING under this claim -> REFUNDED."""
        ...

    async def require_action(
        self,
        order_id: str,
        token: str,
        *,
        payment_intent_id: str,
        next_action: str,
        client_secret: str,
    ) -> bool:
        """INPROGRESS under this claim -> ACTION_REQUIRED (the customer must authenticate)."""
        ...

    async def settle_action(
        self, order_id: str, *, approved: bool, payment_intent_id: str, decline_code: str | None
    ) -> bool:
        """ACTION_REQUIRED for this intent -> COMPLETED with the outcome."""
        ...

    async def cancel_action(self, order_id: str) -> bool:
        """ACTION_REQUIRED -> CANCELLED."""
        ...

    async def record_processor_refund(self, order_id: str, refund_id: str) -> bool:
        """An approved COMPLETED charge not yet REFUNDED -> REFUNDED under `refund_id`."""
        ...

    async def record_dispute(self, order_id: str, dispute_id: str) -> bool:
        """Record the dispute on an existing record; False if it is there already."""
        ...

    async def webhook_seen(self, event_id: str) -> bool: ...

    async def mark_webhook(self, event_id: str, event_type: str, outcome: str) -> None: ...


class PaymentGateway(Protocol):
    """The processor's calls the use cases make. Each takes an idempotency key: the same key
    again answers as the first call did, without charging, refunding or cancelling twice.
    A decline is a result; a refusal raises `GatewayRejected`, a transient failure
    `GatewayUnavailable`."""

    async def charge(
        self,
        *,
        order_id: str,
        amount: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
    ) -> ChargeResult: ...

    async def refund(
        self, *, payment_intent_id: str, idempotency_key: str, amount: int | None = None
    ) -> RefundResult: ...

    async def cancel_intent(self, *, payment_intent_id: str, idempotency_key: str) -> str: ...

    async def get_intent(self, payment_intent_id: str) -> dict[str, Any]: ...
