"""Restart delays for a process that keeps dying, as Kubernetes' CrashLoopBackOff does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    maximum: float = 30.0
    reset_after: float = 30.0
    """A process that ran this long before dying starts over at `initial`."""

    def delay(self, failures: int) -> float:
        """The wait before the restart that follows the `failures`-th crash in a row."""
        if failures <= 0:
            return 0.0
        return min(self.maximum, self.initial * 2.0 ** (failures - 1))

    def next_failures(self, failures: int, ran_for: float) -> int:
        return 1 if ran_for >= self.reset_after else failures + 1
