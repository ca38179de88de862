"""Fault switches for the chaos soak: duplicate deliveries and handlers slower than their
visibility timeout, on purpose, so that idempotency is exercised for real.

Development only, off by default; production settings never set them (a test checks the
Kubernetes manifests and Terraform):

- `ECOMMERCE_FAULT_DUPLICATE_RATE` (0 to 1): each event published to SNS (by the outbox relay
  or a worker) is published a second time with this probability, as SNS's at-least-once
  delivery may do: every subscribed queue then holds two copies of the same envelope.
- `ECOMMERCE_FAULT_SLOW_HANDLER_RATE` (0 to 1): a consumer takes this fraction of the messages
  it receives, gives each a visibility timeout of `ECOMMERCE_FAULT_SLOW_HANDLER_SECONDS` (3)
  with no heartbeat, and sleeps 2 s past it before handling it: SQS delivers the message again
  while the first run is still going.

A running `ecommerce dev` also reads them from the JSON file `ECOMMERCE_FAULTS_FILE` names
(the stack gives every child `<state dir>/faults.json`; absent, nothing), the same names as
keys, so that a test can turn them on and off without restarting the stack. The file wins
over the environment; it is looked at once a second at most.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DUPLICATE_RATE = "ECOMMERCE_FAULT_DUPLICATE_RATE"
SLOW_HANDLER_RATE = "ECOMMERCE_FAULT_SLOW_HANDLER_RATE"
SLOW_HANDLER_SECONDS = "ECOMMERCE_FAULT_SLOW_HANDLER_SECONDS"
FAULTS_FILE = "ECOMMERCE_FAULTS_FILE"
SWITCHES = (DUPLICATE_RATE, SLOW_HANDLER_RATE, SLOW_HANDLER_SECONDS)
OVERSLEEP_SECONDS = 2.0
"""How far past its visibility timeout a slowed handler sleeps."""
_REFRESH_SECONDS = 1.0


@dataclass(frozen=True)
class FaultSwitches:
    duplicate_rate: float = 0.0
    slow_handler_rate: float = 0.0
    slow_handler_seconds: int = 3

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> FaultSwitches:
        """From variables (or the file's keys); ValueError naming the variable if one is bad."""
        return cls(
            duplicate_rate=_rate(values, DUPLICATE_RATE),
            slow_handler_rate=_rate(values, SLOW_HANDLER_RATE),
            slow_handler_seconds=_seconds(values, SLOW_HANDLER_SECONDS, 3),
        )

    @property
    def any_on(self) -> bool:
        return self.duplicate_rate > 0 or self.slow_handler_rate > 0


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _rate(values: Mapping[str, Any], name: str) -> float:
    value = values.get(name)
    if _blank(value):
        return 0.0
    try:
        rate = float(str(value))
    except (TypeError, ValueError):
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{name}={value!r} is not valid; set it to a number from 0 to 1")
    return rate


def _seconds(values: Mapping[str, Any], name: str, default: int) -> int:
    value = values.get(name)
    if _blank(value):
        return default
    try:
        seconds = int(str(value))
    except (TypeError, ValueError):
        seconds = 0
    if not 1 <= seconds <= 43200:
        raise ValueError(f"{name}={value!r} is not valid; set it to whole seconds, 1 to 43200")
    return seconds


class Faults:
    """The switches in force: the environment's, overridden by the file's when there is one."""

    def __init__(self, environ: Mapping[str, str] | None = None, seed: int | None = None) -> None:
        env = os.environ if environ is None else environ
        self._from_env = FaultSwitches.parse(env)
        file = env.get(FAULTS_FILE, "").strip()
        self._file = Path(file) if file else None
        self._current = self._from_env
        self._looked_at = float("-inf")
        self._rng = random.Random(seed)

    async def current(self) -> FaultSwitches:
        if self._file is not None and time.monotonic() - self._looked_at >= _REFRESH_SECONDS:
            self._looked_at = time.monotonic()
            self._current = await asyncio.to_thread(self._read_file)
        return self._current

    def _read_file(self) -> FaultSwitches:
        assert self._file is not None
        try:
            values = json.loads(self._file.read_text())
        except FileNotFoundError:
            return self._from_env
        except (OSError, ValueError):
            return self._current  # half written: keep what was in force
        if not isinstance(values, dict):
            return self._current
        try:
            return FaultSwitches.parse(values)
        except ValueError:
            return self._current

    async def duplicate(self) -> bool:
        """Whether to publish this event twice."""
        rate = (await self.current()).duplicate_rate
        return rate > 0 and self._rng.random() < rate

    async def slow_handler_seconds(self) -> int | None:
        """The visibility timeout to outsleep for this message, or None to handle it as usual."""
        switches = await self.current()
        rate = switches.slow_handler_rate
        if rate > 0 and self._rng.random() < rate:
            return switches.slow_handler_seconds
        return None


def write_faults_file(path: Path, values: Mapping[str, float | int]) -> None:
    """Turn switches on for a running stack (`{}` or removing the file turns them off)."""
    FaultSwitches.parse(values)
    aside = path.with_name(path.name + ".writing")
    aside.write_text(json.dumps(dict(values)))
    os.replace(aside, path)


_PROCESS_FAULTS: Faults | None = None


def process_faults() -> Faults:
    """The process's switches, read from its environment on first use."""
    global _PROCESS_FAULTS
    if _PROCESS_FAULTS is None:
        _PROCESS_FAULTS = Faults()
    return _PROCESS_FAULTS
