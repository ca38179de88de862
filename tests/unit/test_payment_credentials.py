"""The processor's key: read from its secret, cached, read again when refused or stale."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce.payments.credentials import (
    FixedApiKey,
    InvalidKeySecret,
    SecretApiKey,
    parse_api_key,
)


class FakeSecrets:
    def __init__(self, value: str) -> None:
        self.value = value
        self.reads: list[str] = []

    async def get_secret_value(self, *, SecretId: str) -> dict[str, Any]:
        self.reads.append(SecretId)
        return {"SecretString": self.value}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_key_is_read_once_then_again_after_the_refresh_period() -> None:
    secrets, clock = FakeSecrets("sk_test_first\n"), Clock()
    key = SecretApiKey(secrets, "payment-gateway-key", refresh_seconds=60, clock=clock)
    assert await key.api_key() == "sk_test_first"
    assert await key.api_key() == "sk_test_first"
    assert secrets.reads == ["ecommerce/payment-gateway-key"]
    secrets.value = "sk_test_rolled"
    clock.now += 61
    assert await key.api_key() == "sk_test_rolled"
    assert len(secrets.reads) == 2


async def test_a_refused_key_is_read_again_at_once() -> None:
    secrets = FakeSecrets("sk_test_first")
    key = SecretApiKey(secrets, refresh_seconds=3600, clock=Clock())
    await key.api_key()
    secrets.value = "sk_test_rolled"
    key.invalidate()
    assert await key.api_key() == "sk_test_rolled"


@pytest.mark.parametrize("value", ["", "   ", "whsec_abc", "sk_test_", "pk_test_123"])
def test_a_secret_that_holds_no_secret_key_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(InvalidKeySecret) as caught:
        parse_api_key(value)
    if len(value) > len("sk_test_"):
        assert value not in str(caught.value)


def test_a_fixed_key_is_checked_too() -> None:
    with pytest.raises(InvalidKeySecret):
        FixedApiKey("not-a-key")
