"""Retry delays for failed messages, handed to SQS as a visibility timeout, never held in memory."""

from __future__ import annotations

import random

BASE_SECONDS = 1.0
CAP_SECONDS = 300.0


def retry_delay(receive_count: int, rng: random.Random | None = None) -> int:
    """Full-jitter exponential backoff on `ApproximateReceiveCount`, in whole seconds (≥ 1)."""
    attempt = max(1, receive_count)
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** (attempt - 1))
    draw = (rng or random).uniform(ceiling / 2, ceiling)
    return max(1, min(43_200, round(draw)))
