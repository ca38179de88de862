"""The cart's own settings, read from the environment once at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class CartSettings:
    ttl_seconds: int = DEFAULT_TTL_SECONDS
    """How long a cart lives after its last write (`CART_TTL_SECONDS`, default 7 days)."""
    key_prefix: str = "cart:"
    """The prefix of every cart's Redis key (`CART_KEY_PREFIX`)."""

    def __post_init__(self) -> None:
        if self.ttl_seconds < 1:
            raise ValueError("CART_TTL_SECONDS must be a whole number of seconds, 1 or more")

    @classmethod
    def from_env(cls) -> CartSettings:
        ttl = os.environ.get("CART_TTL_SECONDS", "").strip()
        prefix = os.environ.get("CART_KEY_PREFIX", "").strip()
        return cls(
            ttl_seconds=int(ttl) if ttl else DEFAULT_TTL_SECONDS,
            key_prefix=prefix or "cart:",
        )
