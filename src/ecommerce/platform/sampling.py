"""Which traces are recorded: sampling by rules, decided once where a trace starts and carried
with it (`Sampled=0/1` in the trace header); a failure is always kept, sampled or not.

It knows no tracing back end: `ecommerce.platform.tracing` asks `Sampler.decide` for a trace
that starts without a decision, and `keep` whether to record what it did not sample. Rules
follow X-Ray's local sampling rules (version 2): per rule a reservoir of `fixed_target` traces
each second, then `rate` of the rest; the first rule whose service, method and path match
applies, else the default.

`ECOMMERCE_TRACE_SAMPLING` chooses: `rules` (the default: `DEFAULT_RULES`), `all` (every trace:
for tests that read traces), `none` (failures only), or the path of a rules file in X-Ray's
JSON format, as in
`{"version": 2, "rules": [{"description": "orders", "service_name": "orders",
"http_method": "POST", "url_path": "/orders", "fixed_target": 2, "rate": 0.1}],
"default": {"fixed_target": 1, "rate": 0.05}}`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLING_ENV = "ECOMMERCE_TRACE_SAMPLING"


@dataclass(frozen=True)
class Rule:
    description: str
    fixed_target: int
    """Traces recorded each second before `rate` applies (X-Ray's reservoir)."""
    rate: float
    service: str = "*"
    method: str = "*"
    path: str = "*"
    """Glob patterns (`*`, `?`), as X-Ray's rules have."""

    def matches(self, service: str, method: str, path: str) -> bool:
        return (
            fnmatch.fnmatchcase(service, self.service)
            and fnmatch.fnmatchcase(method, self.method)
            and fnmatch.fnmatchcase(path, self.path)
        )


DEFAULT_RULE = Rule("default", fixed_target=1, rate=0.05)
"""X-Ray's own default: the first trace each second, then 5 %."""
DEFAULT_RULES: tuple[Rule, ...] = ()


@dataclass
class _Reservoir:
    second: int = -1
    taken: int = 0


@dataclass
class Sampler:
    rules: Sequence[Rule] = DEFAULT_RULES
    default: Rule = DEFAULT_RULE
    clock: Callable[[], float] = time.time
    draw: Callable[[], float] = random.random
    _reservoirs: dict[str, _Reservoir] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, *, service: str, method: str, path: str) -> bool:
        """Whether a trace starting here (with no decision yet) is recorded."""
        rule = next((r for r in self.rules if r.matches(service, method, path)), self.default)
        second = int(self.clock())
        with self._lock:
            reservoir = self._reservoirs.setdefault(rule.description, _Reservoir())
            if reservoir.second != second:
                reservoir.second, reservoir.taken = second, 0
            if reservoir.taken < rule.fixed_target:
                reservoir.taken += 1
                return True
        return self.draw() < rule.rate


class Always(Sampler):
    def decide(self, *, service: str, method: str, path: str) -> bool:
        return True


class Never(Sampler):
    def decide(self, *, service: str, method: str, path: str) -> bool:
        return False


def keep(sampled: bool, failed: bool) -> bool:
    """A trace is recorded if it was sampled, and always if it failed."""
    return sampled or failed


def failed_status(status: int) -> bool:
    """An HTTP answer that counts as a failure: a fault of ours (5xx), or throttling (429)."""
    return status >= 500 or status == 429


def sampler_from_env(environ: Mapping[str, str] | None = None) -> Sampler:
    setting = (os.environ if environ is None else environ).get(SAMPLING_ENV, "").strip()
    if setting in ("", "rules"):
        return Sampler()
    if setting == "all":
        return Always()
    if setting == "none":
        return Never()
    return rules_file(Path(setting))


def rules_file(path: Path) -> Sampler:
    """A sampler from X-Ray's local sampling rules (version 2); ValueError if malformed."""
    try:
        document = json.loads(path.read_text())
        rules = tuple(_rule(entry) for entry in document.get("rules", []))
        default = _rule({"description": "default", **document["default"]})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{SAMPLING_ENV}={path}: not a sampling rules file ({error})") from error
    return Sampler(rules, default)


def _rule(entry: Mapping[str, object]) -> Rule:
    rate = float(str(entry["rate"]))
    target = int(str(entry["fixed_target"]))
    if not 0.0 <= rate <= 1.0 or target < 0:
        raise ValueError(f"rule {entry.get('description')!r}: rate in [0, 1], fixed_target >= 0")
    return Rule(
        description=str(entry.get("description", "rule")),
        fixed_target=target,
        rate=rate,
        service=str(entry.get("service_name", "*")),
        method=str(entry.get("http_method", "*")),
        path=str(entry.get("url_path", "*")),
    )
