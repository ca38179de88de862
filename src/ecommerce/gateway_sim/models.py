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
            "payment_method": self.payment_method,
            "payment_method_types": ["card"],
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
