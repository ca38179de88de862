"""What a call to the payment processor can come to: a result, or one of two errors (see
`gateway_client`, which sorts the processor's answers into them). Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    payment_intent_id: str | None
    decline_code: str | None
    action_required: bool = False
    """The customer must authenticate (3-D Secure): not charged yet, not declined either."""
    client_secret: str | None = None
    next_action: dict[str, Any] | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int
    status: str


class GatewayError(Exception):
    """Base of the gateway client's errors."""


class GatewayUnavailable(GatewayError):
    """Transient: retry later with the same idempotency key."""

    transient = True


class GatewayRejected(GatewayError):
    """The gateway refused the request (a 4xx that is not a decline); not retryable."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_type: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.code = code
        self.request_id = request_id
