"""The published language: the event envelope and every event's payload, versioned.

Producers and consumers share these models; bounded contexts import this package and never
each other.
"""

from ecommerce.events.catalog import (
    EVENT_MODELS,
    PRODUCT_ID_PATTERN,
    InventoryRejected,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PaymentActionRequired,
    PaymentFailed,
    PaymentSucceeded,
    ProductChanged,
)
from ecommerce.events.envelope import (
    Envelope,
    PoisonMessage,
    follow_up,
    new_event,
    outcome_id,
    parse_payload,
)

__all__ = [
    "EVENT_MODELS",
    "PRODUCT_ID_PATTERN",
    "Envelope",
    "InventoryRejected",
    "InventoryReserved",
    "LineItem",
    "Money",
    "OrderCancelled",
    "OrderConfirmed",
    "OrderPlaced",
    "PaymentActionRequired",
    "PaymentFailed",
    "PaymentSucceeded",
    "PoisonMessage",
    "ProductChanged",
    "follow_up",
    "new_event",
    "outcome_id",
    "parse_payload",
]
