"""What the terminal of `ecommerce dev` shows of a child's log line.

By default (`brief`): one short line per request and per event handled (the handler's own,
such as `stock_reserved`), warnings and errors, and each process's start and stop; not the
consumer's `message_handled` that repeats it, the metric documents (CloudWatch EMF, one per
route and minute), the readiness probes of the edge and the supervisor, or debug lines. With
`--verbose` every line is shown (`render_line`). Either way, control characters are shown
escaped (`\\x00`, `\\x1b`), so that a request path can neither hide text nor move the cursor.
The log files under `.devstack/logs/` keep every line as it was written.
"""

from __future__ import annotations

import json
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PROBES = frozenset({"/healthz", "/readyz"})
_REQUESTS = frozenset({"http_request", "http.request"})
_QUIET_LEVELS = frozenset({"debug"})
_REPEATS = frozenset({"message_handled"})
"""Said again after the handler's own line (`stock_reserved`, `charge_completed`, ...)."""
_SHOWN_FIRST = ("timestamp", "level", "event", "service")
_LEFT_OUT_OF_BRIEF = frozenset({"request_id", "message_id", "event_id", "url"})
LEVEL_COLORS = {"warning": "33", "error": "31", "critical": "31", "exception": "31"}


def escape_controls(text: str) -> str:
    r"""`text` with every control character but tab written out (`\x00`, `\x1b`, `\x85`)."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def parse_record(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def render_line(line: str, color: bool = False) -> str:
    """Every line: a JSON log line as `HH:MM:SS level event key=value ...`; others as they are."""
    record = parse_record(line)
    if record is None:
        return escape_controls(line)
    return _render(record, color, left_out=frozenset())


def brief_line(line: str, color: bool = False) -> str | None:
    """The line as the default console shows it, or None to leave it out."""
    record = parse_record(line)
    if record is None:
        return escape_controls(line) if line.strip() else None
    if "_aws" in record or str(record.get("level", "")) in _QUIET_LEVELS:
        return None
    if record.get("event") in _REPEATS:
        return None
    if record.get("event") in _REQUESTS:
        if record.get("path") in _PROBES:
            return None
        return _request(record)
    return _render(record, color, left_out=_LEFT_OUT_OF_BRIEF)


def _clock(record: dict[str, Any]) -> str:
    timestamp = str(record.get("timestamp", ""))
    return timestamp[11:19] if len(timestamp) >= 19 else timestamp


def _request(record: dict[str, Any]) -> str:
    """`HH:MM:SS GET /orders/o-1 -> 200 (12 ms)`."""
    status = record.get("status", record.get("http_status", "?"))
    duration = record.get("duration_ms")
    took = f" ({duration:.0f} ms)" if isinstance(duration, int | float) else ""
    text = (
        f"{_clock(record)} {record.get('method', '?')} {record.get('path', '?')} -> {status}{took}"
    )
    return escape_controls(text)


def _render(record: dict[str, Any], color: bool, *, left_out: frozenset[str]) -> str:
    level = escape_controls(str(record.get("level", "")))
    event = str(record.get("event", ""))
    exception = record.pop("exception", None)
    extras = " ".join(
        f"{key}={_value(value)}"
        for key, value in record.items()
        if key not in _SHOWN_FIRST and key not in left_out
    )
    level_text = f"{level:<7}"
    if color and level in LEVEL_COLORS:
        level_text = f"\x1b[{LEVEL_COLORS[level]}m{level_text}\x1b[0m"
    parts = (
        escape_controls(_clock(record)),
        level_text,
        escape_controls(event),
        escape_controls(extras),
    )
    text = " ".join(part for part in parts if part.strip())
    if exception:
        lines = str(exception).rstrip().splitlines()
        text += "".join("\n" + escape_controls(line) for line in lines)
    return text


def _value(value: object) -> str:
    if isinstance(value, str):
        return value if value and " " not in value else json.dumps(value)
    return json.dumps(value, separators=(",", ":"), default=str)
