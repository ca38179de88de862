"""Settings of the simulator, read from the environment once at start-up."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Latency:
    """Added processing time per API request, in milliseconds: fixed, or uniform in a range."""

    low_ms: int = 0
    high_ms: int = 0

    @classmethod
    def parse(cls, text: str) -> Latency:
        """`"0"`, `"50"` or a jitter range `"20-80"`."""
        try:
            low, _, high = text.strip().partition("-")
            latency = cls(int(low), int(high) if high else int(low))
        except ValueError:
            raise ValueError(
                f"PAYMENT_GATEWAY_LATENCY_MS: expected N or N-M, got {text!r}"
            ) from None
        if latency.low_ms < 0 or latency.high_ms < latency.low_ms:
            raise ValueError(f"PAYMENT_GATEWAY_LATENCY_MS: expected 0 <= N <= M, got {text!r}")
        return latency

    def sample_seconds(self, rng: random.Random) -> float:
        if self.high_ms == self.low_ms:
            return self.low_ms / 1000
        return rng.uniform(self.low_ms, self.high_ms) / 1000


@dataclass(frozen=True)
class WebhookDelivery:
    """How webhooks are retried: after `base_seconds * 2^n` (at most `max_seconds`), up to
    `attempts` tries in all, each allowed `timeout_seconds`."""

    base_seconds: float = 0.5
    max_seconds: float = 30.0
    attempts: int = 8
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 8090
    latency: Latency = field(default_factory=Latency)
    # Probability that an API request fails with a transient 500/503 before anything is done.
    error_rate: float = 0.0
    webhooks: WebhookDelivery = field(default_factory=WebhookDelivery)

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"PAYMENT_GATEWAY_ERROR_RATE must be in [0, 1], got {self.error_rate}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SimConfig:
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        try:
            error_rate = float(get("PAYMENT_GATEWAY_ERROR_RATE", "0"))
        except ValueError:
            raise ValueError("PAYMENT_GATEWAY_ERROR_RATE must be a number in [0, 1]") from None
        port = get("PORT", "8090")
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(
                f"PORT={port!r} is not valid; set PORT to a port number from 1 to 65535"
            )
        return cls(
            host=get("HOST", "127.0.0.1"),
            port=int(port),
            latency=Latency.parse(get("PAYMENT_GATEWAY_LATENCY_MS", "0")),
            error_rate=error_rate,
            webhooks=WebhookDelivery(
                base_seconds=float(get("PAYMENT_GATEWAY_WEBHOOK_RETRY_SECONDS", "0.5")),
                attempts=int(get("PAYMENT_GATEWAY_WEBHOOK_ATTEMPTS", "8")),
            ),
        )
