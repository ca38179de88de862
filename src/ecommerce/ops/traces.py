"""Reads the segments the local X-Ray stand-in kept (`ecommerce dev`): one order's trace, as a tree
for `ecommerce trace` and as entries of the console's order timeline."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRACE_SEGMENTS_ENV = "TRACE_SEGMENTS_FILE"
"""Where `ecommerce dev` tells its services the stand-in keeps segments (the console's order
timeline reads them); unset in AWS."""


@dataclass
class Span:
    id: str
    trace_id: str
    name: str
    start: float
    end: float | None
    parent_id: str | None
    kind: str
    error: bool
    children: list[Span] = field(default_factory=list)

    @property
    def duration_ms(self) -> float | None:
        return None if self.end is None else (self.end - self.start) * 1000


def read_segments(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    documents = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            documents.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return documents


def _walk(document: dict[str, Any], trace_id: str, parent: str | None) -> Iterator[Span]:
    kind = "segment" if document.get("type") != "subsegment" and parent is None else "subsegment"
    yield Span(
        id=document["id"],
        trace_id=trace_id,
        name=document.get("name", "?"),
        start=float(document.get("start_time", 0)),
        end=document.get("end_time"),
        parent_id=document.get("parent_id", parent),
        kind=kind,
        error=bool(document.get("error") or document.get("fault")),
    )
    for child in document.get("subsegments", []):
        yield from _walk(child, trace_id, document["id"])


def order_trace_ids(documents: Iterable[dict[str, Any]], order_id: str) -> set[str]:
    return {
        doc["trace_id"]
        for doc in documents
        if doc.get("annotations", {}).get("order_id") == order_id and "trace_id" in doc
    }


def build_trees(documents: Iterable[dict[str, Any]], trace_ids: set[str]) -> list[Span]:
    spans: dict[str, Span] = {}
    for doc in documents:
        if doc.get("trace_id") in trace_ids and "id" in doc:
            for span in _walk(doc, doc["trace_id"], None):
                spans.setdefault(span.id, span)
    roots = []
    for span in spans.values():
        parent = spans.get(span.parent_id) if span.parent_id else None
        if parent is not None and parent is not span:
            parent.children.append(span)
        else:
            roots.append(span)
    for span in spans.values():
        span.children.sort(key=lambda s: s.start)
    return sorted(roots, key=lambda s: s.start)


def render(roots: list[Span]) -> list[str]:
    if not roots:
        return []
    origin = min(root.start for root in roots)
    lines: list[str] = []

    def visit(span: Span, depth: int) -> None:
        took = f"{span.duration_ms:8.1f} ms" if span.duration_ms is not None else "    open   "
        flag = "  !" if span.error else ""
        offset = (span.start - origin) * 1000
        lines.append(f"+{offset:8.1f} ms {took}  {'  ' * depth}{span.name}{flag}")
        for child in span.children:
            visit(child, depth + 1)

    for root in roots:
        lines.append(f"trace {root.trace_id}")
        visit(root, 0)
    return lines
