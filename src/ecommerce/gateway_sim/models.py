"""The simulator's objects, as Stripe serialises them, and the test cards it knows."""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field

from ecommerce.gateway_sim.errors import JSONObject

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """A Stripe-looking id: `pi_` followed by 24 base62 characters."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


# Stripe's test payment methods and tokens -> None (approves) or the decline code.
# DESIGN §4 names `tok_insufficientFunds`; Stripe calls it `tok_chargeDeclinedInsufficientFunds`.
TEST_CARDS: dict[str, str | None] = {
    "tok_visa": None,
    "pm_card_visa": None,
    "tok_mastercard": None,
    "pm_card_mastercard": None,
    "tok_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclined": "generic_decline",
    "tok_insufficientFunds": "insufficient_funds",
    "tok_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
}

AUTHENTICATION_REQUIRED: frozenset[str] = frozenset(
    {
        "tok_threeDSecure2Required",
        "pm_card_threeDSecure2Required",
        "pm_card_authenticationRequired",
        "tok_authenticationRequired",
    }
)
"""Cards whose confirmation leaves the intent in `requires_action` (3-D Secure): the customer
completes or fails the challenge at the simulator's test page (`/test/authenticate/{id}`)."""
for _card in AUTHENTICATION_REQUIRED:
    TEST_CARDS[_card] = None

DISPUTED: frozenset[str] = frozenset({"pm_card_createDispute", "tok_createDispute"})
"""Cards that succeed and are then disputed (`charge.dispute.created`), as Stripe's."""
for _card in DISPUTED:
    TEST_CARDS[_card] = None

AUTHENTICATION_FAILURE = {
    "type": "card_error",
    "code": "payment_intent_authentication_failure",
    "message": "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
}

DECLINE_MESSAGES: dict[str, str] = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


@dataclass
class PaymentIntent:
    amount: int
    currency: str
    payment_method: str | None
    metadata: dict[str, str]
    description: str | None
    status: str = "requires_payment_method"
    latest_charge: str | None = None
    last_payment_error: JSONObject | None = None
    amount_refunded: int = 0  # kept on the charge in Stripe; not part of the intent's JSON
    next_action: JSONObject | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    id: str = field(default_factory=lambda: new_id("pi"))
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def amount_refundable(self) -> int:
        return self.amount - self.amount_refunded if self.status == "succeeded" else 0

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_received": self.amount if self.status == "succeeded" else 0,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": "automatic",
            "client_secret": f"{self.id}_secret_{self.id[3:]}",
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "last_payment_error": self.last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": False,
            "metadata": dict(self.metadata),
            "next_action": self.next_action,
            "payment_method": self.payment_method,
            "payment_method_types": ["card"],
            "status": self.status,
        }

    def charge_json(self) -> JSONObject:
        """Its latest charge, as a `charge.*` event carries it."""
        paid = self.status == "succeeded"
        return {
            "id": self.latest_charge,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount if paid else 0,
            "amount_refunded": self.amount_refunded,
            "captured": paid,
            "currency": self.currency,
            "metadata": dict(self.metadata),
            "paid": paid,
            "payment_intent": self.id,
            "refunded": paid and self.amount_refunded >= self.amount,
            "status": "succeeded" if paid else "failed",
        }


@dataclass
class Dispute:
    amount: int
    currency: str
    charge: str
    payment_intent: str
    reason: str = "fraudulent"
    status: str = "needs_response"
    id: str = field(default_factory=lambda: new_id("dp"))
    created: int = field(default_factory=lambda: int(time.time()))

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "livemode": False,
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": self.status,
        }


@dataclass
class Refund:
    amount: int
    currency: str
    payment_intent: str
    charge: str | None
    reason: str | None
    metadata: dict[str, str]
    status: str = "succeeded"
    id: str = field(default_factory=lambda: new_id("re"))
    created: int = field(default_factory=lambda: int(time.time()))

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": dict(self.metadata),
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": self.status,
        }
