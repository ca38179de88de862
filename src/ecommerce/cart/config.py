"""The cart's own settings, read from the environment once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from ecommerce.platform import settings_models

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
        """From CART_TTL_SECONDS and CART_KEY_PREFIX, read through the cart's settings model
        (`SettingsError`, naming the variable, when one is bad)."""
        read_from_env: settings_models.CartSettings = settings_models.read(
            settings_models.CartSettings
        )
        return cls(
            ttl_seconds=read_from_env.cart_ttl_seconds, key_prefix=read_from_env.cart_key_prefix
        )
