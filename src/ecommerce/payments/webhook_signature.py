"""The processor's webhook signature (Stripe's `Stripe-Signature` scheme). Pure: no I/O.

The header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`: each `v1` is the HMAC-SHA256, keyed
with an endpoint's signing secret (`whsec_...`, used whole), of `<t>.<raw body>`. A payload is
accepted when one `v1` matches one of the secrets (several during a rotation) and `t` lies
within `tolerance` seconds of now, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

HEADER = "Stripe-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The payload is not signed by any of the secrets (or too long ago)."""


def compute(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(payload: bytes, secrets: Iterable[str], timestamp: int) -> str:
    """The header a sender puts on `payload`: one `v1` per secret it signs with."""
    parts = [f"t={timestamp}"]
    parts.extend(f"{SCHEME}={compute(payload, secret, timestamp)}" for secret in secrets)
    return ",".join(parts)


def parse_secrets(value: str) -> tuple[str, ...]:
    """The signing secrets of a secret's value: `whsec_...` separated by commas or spaces."""
    found = tuple(part for part in value.replace(",", " ").split() if part)
    if not found or not all(part.startswith("whsec_") for part in found):
        raise ValueError("webhook signing secrets must be whsec_... values, comma separated")
    return found


def verify(
    payload: bytes,
    header: str | None,
    secrets: Iterable[str],
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check the header; the signed timestamp, or `SignatureError` saying what is wrong."""
    if not header:
        raise SignatureError(f"no {HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("the timestamp is not an integer") from None
        elif name == SCHEME and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp in the signature header")
    if not signatures:
        raise SignatureError(f"no {SCHEME} signature in the signature header")
    expected = [compute(payload, secret, timestamp) for secret in secrets]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise SignatureError("no signature matches the payload")
    if tolerance > 0 and abs(now - timestamp) > tolerance:
        raise SignatureError(f"the timestamp is outside the {tolerance} s tolerance")
    return timestamp
