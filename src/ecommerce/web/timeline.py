"""An order's timeline for the console: its state changes and the spans of its trace, as one
list in time order. Pure: the inputs are the order document and the trace's spans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ecommerce.ops.traces import Span


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    source: str
    """"order" (a state change, from the orders store) or "trace" (an X-Ray segment)."""
    what: str
    detail: str = ""
    error: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "source": self.source,
            "what": self.what,
            "detail": self.detail,
            "error": self.error,
        }


def order_entries(order: dict[str, Any]) -> list[TimelineEntry]:
    """One entry per transition of `GET /orders/{id}`'s history."""
    entries = []
    for step in order.get("history") or []:
        before = step.get("from")
        what = f"{before} → {step['to']}" if before else step["to"]
        detail = ", ".join(
            part
            for part in (step.get("cause"), step.get("reason") and f"reason: {step['reason']}")
            if part
        )
        entries.append(TimelineEntry(_parse(step["at"]), "order", what, detail))
    return entries


def span_entries(roots: Iterable[Span], depth: int = 1) -> list[TimelineEntry]:
    """The trace's segments and their first level of subsegments (the calls each made)."""
    entries: list[TimelineEntry] = []

    def visit(span: Span, level: int) -> None:
        took = f"{span.duration_ms:.1f} ms" if span.duration_ms is not None else "open"
        at = datetime.fromtimestamp(span.start, UTC)
        entries.append(TimelineEntry(at, "trace", span.name, took, span.error))
        if level < depth:
            for child in span.children:
                visit(child, level + 1)

    for root in roots:
        visit(root, 0)
    return entries


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
