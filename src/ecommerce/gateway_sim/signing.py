"""How the simulator signs a webhook, as Stripe does: `Stripe-Signature: t=<unix>,v1=<hex>`,
the HMAC-SHA256 of `<t>.<body>` keyed with the endpoint's secret.

Written apart from the payments context's verifier on purpose: the simulator stands for the
processor, so a mistake shared by both sides cannot hide (the stripe SDK contract tests check
this signer against the SDK's own `Webhook.construct_event`)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Stripe-Signature"


def signature_header(body: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"
