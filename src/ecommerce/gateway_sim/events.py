"""Events and webhook endpoints, as Stripe serialises them.

Every change of a payment intent, charge or dispute makes an `Event` on its account; each of
the account's enabled webhook endpoints that subscribed to its type gets it delivered
(`delivery.py`), signed with the endpoint's own secret.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from ecommerce.gateway_sim.errors import JSONObject
from ecommerce.gateway_sim.models import new_id

API_VERSION = "2024-06-20"

EVENT_TYPES = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "payment_intent.canceled",
        "charge.refunded",
        "charge.dispute.created",
    }
)
"""The event types the simulator sends (an endpoint may also subscribe to `*`)."""


@dataclass
class Event:
    type: str
    data_object: JSONObject
    request_id: str | None = None
    idempotency_key: str | None = None
    id: str = field(default_factory=lambda: new_id("evt"))
    created: int = field(default_factory=lambda: int(time.time()))

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "object": "event",
            "api_version": API_VERSION,
            "created": self.created,
            "data": {"object": self.data_object},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": self.type,
        }


@dataclass
class WebhookEndpoint:
    url: str
    enabled_events: list[str]
    description: str | None = None
    status: str = "enabled"
    secret: str = field(default_factory=lambda: "whsec_" + secrets.token_urlsafe(24))
    id: str = field(default_factory=lambda: new_id("we"))
    created: int = field(default_factory=lambda: int(time.time()))

    def wants(self, event_type: str) -> bool:
        return self.status == "enabled" and (
            "*" in self.enabled_events or event_type in self.enabled_events
        )

    def to_json(self, *, with_secret: bool = False) -> JSONObject:
        document: JSONObject = {
            "id": self.id,
            "object": "webhook_endpoint",
            "api_version": API_VERSION,
            "created": self.created,
            "description": self.description,
            "enabled_events": list(self.enabled_events),
            "livemode": False,
            "metadata": {},
            "status": self.status,
            "url": self.url,
        }
        if with_secret:  # Stripe shows the secret only in the response that created it
            document["secret"] = self.secret
        return document
