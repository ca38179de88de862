"""The payment processor's secret API key, read from Secrets Manager and kept current.

The key lives in the secret `<prefix>/payment-gateway-key` (its plain value, `sk_test_...` or
`sk_live_...`), which only the payments worker's role may read. It is read on first use and
again every `refresh_seconds`, and at once after the processor refused it (HTTP 401): putting
a rolled key into the secret takes effect without a deploy or a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from ecommerce.resources import secret_id

T = TypeVar("T")

KEY_SECRET = "payment-gateway-key"
REFRESH_SECONDS = 60.0
KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")


class ApiKeySource(Protocol):
    async def api_key(self) -> str: ...

    def invalidate(self) -> None:
        """The processor refused the key: read it again before the next call."""


class InvalidKeySecret(ValueError):
    """The secret does not hold a processor secret key."""


def parse_api_key(value: str) -> str:
    key = value.strip()
    if not key.startswith(KEY_PREFIXES) or len(key) <= len("sk_test_"):
        raise InvalidKeySecret(
            f"the payment gateway key secret must hold a secret key (sk_test_... or "
            f"sk_live_...), not a value of {len(key)} characters starting {key[:3]!r}"
        )
    return key


class CachedSecret(Generic[T]):
    """A Secrets Manager secret's parsed value, read again every `refresh_seconds` or, after
    `invalidate()`, on the next use."""

    def __init__(
        self,
        secretsmanager: Any,
        name: str,
        parse: Callable[[str], T],
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secrets = secretsmanager
        self._secret_id = secret_id(name)
        self._parse = parse
        self._refresh = refresh_seconds
        self._clock = clock
        self._value: T | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    @property
    def age(self) -> float:
        """Seconds since the value was read."""
        return self._clock() - self._read_at

    async def value(self) -> T:
        if self._value is not None and self.age < self._refresh:
            return self._value
        async with self._lock:
            if self._value is None or self.age >= self._refresh:
                found = await self._secrets.get_secret_value(SecretId=self._secret_id)
                self._value = self._parse(str(found.get("SecretString") or ""))
                self._read_at = self._clock()
        return self._value

    def invalidate(self) -> None:
        self._read_at = float("-inf")


class SecretApiKey:
    """The key in a Secrets Manager secret, cached for `refresh_seconds`."""

    def __init__(
        self,
        secretsmanager: Any,
        name: str = KEY_SECRET,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = CachedSecret(
            secretsmanager, name, parse_api_key, refresh_seconds=refresh_seconds, clock=clock
        )

    async def api_key(self) -> str:
        return await self._secret.value()

    def invalidate(self) -> None:
        self._secret.invalidate()


class FixedApiKey:
    """A key given directly (tests, scripts); nothing to re-read."""

    def __init__(self, key: str) -> None:
        self._key = parse_api_key(key)

    async def api_key(self) -> str:
        return self._key

    def invalidate(self) -> None:
        return None
