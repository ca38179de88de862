"""Reads the segments the local X-Ray stand-in kept, and shows one order's trace as a tree.

Each line is one span: when it started (from the trace's first), how long it took, its outcome
and what it is: a service (`orders`, `outbox-relay`, `inventory-worker OrderPlaced`), an AWS call
(`dynamodb TransactWriteItems`), a database transaction, or an HTTP call named by the service
it reached (`payment-gateway POST /v1/payment_intents 402`) when the stack's `stack.json` says
which one listens there. The console's order timeline takes its entries from here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    label: str = ""
    """What the tree shows: the name, with the event, operation or HTTP call it stands for."""
    outcome: str = "ok"
    """`ok`; `error` (a 4xx answer: a declined card is a 402) or `fault` (a 5xx, an exception,
    a message the relay could not send)."""

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


def _walk(
    document: dict[str, Any], trace_id: str, parent: str | None, names: dict[str, str]
) -> Iterator[Span]:
    kind = "segment" if document.get("type") != "subsegment" and parent is None else "subsegment"
    fault = bool(document.get("fault") or document.get("cause"))
    error = bool(document.get("error") or document.get("throttle"))
    yield Span(
        id=document["id"],
        trace_id=trace_id,
        name=document.get("name", "?"),
        start=float(document.get("start_time", 0)),
        end=document.get("end_time"),
        parent_id=document.get("parent_id", parent),
        kind=kind,
        error=fault or error,
        label=_label(document, names),
        outcome="fault" if fault else "error" if error else "ok",
    )
    for child in document.get("subsegments", []):
        yield from _walk(child, trace_id, document["id"], names)


def _label(document: dict[str, Any], names: dict[str, str]) -> str:
    name = str(document.get("name", "?"))
    aws = document.get("aws") or {}
    if isinstance(aws, dict) and aws.get("operation"):
        return f"{name} {aws['operation']}"
    request = (document.get("http") or {}).get("request") or {}
    url = str(request.get("url", ""))
    if document.get("namespace") == "remote" and url:
        parts = urlsplit(url)
        target = names.get(parts.netloc, name)
        status = ((document.get("http") or {}).get("response") or {}).get("status")
        call = f"{target} {request.get('method', '')} {parts.path}".replace("  ", " ")
        return f"{call} {status}" if status else call
    event_type = (document.get("annotations") or {}).get("event_type")
    if event_type and document.get("type") != "subsegment":
        return f"{name} {event_type}"
    return name


def service_names(stack: dict[str, Any]) -> dict[str, str]:
    """`host:port` -> name, from `stack.json`: what listens where, to name HTTP calls."""
    names: dict[str, str] = {}
    for process in stack.get("processes", []):
        if process.get("url", "").startswith("http"):
            names[urlsplit(process["url"]).netloc] = process["name"]
    endpoints = stack.get("endpoints", {})
    for key, name in (("gateway", "payment-gateway"), ("edge", "edge")):
        if str(endpoints.get(key, "")).startswith("http"):
            names[urlsplit(endpoints[key]).netloc] = name
    return names


def order_trace_ids(documents: Iterable[dict[str, Any]], order_id: str) -> set[str]:
    return {
        doc["trace_id"]
        for doc in documents
        if doc.get("annotations", {}).get("order_id") == order_id and "trace_id" in doc
    }


def build_trees(
    documents: Iterable[dict[str, Any]],
    trace_ids: set[str],
    names: dict[str, str] | None = None,
) -> list[Span]:
    spans: dict[str, Span] = {}
    for doc in documents:
        if doc.get("trace_id") in trace_ids and "id" in doc:
            for span in _walk(doc, doc["trace_id"], None, names or {}):
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


HEADING = f"{'start':>11} {'took':>11}  {'outcome':<7}  span"
LEGEND = (
    "outcome: ok; error = a 4xx answer (a declined card is a 402); fault = a 5xx, an exception "
    "or a message not sent"
)


def render(roots: list[Span], order_id: str | None = None) -> list[str]:
    if not roots:
        return []
    origin = min(root.start for root in roots)
    lines: list[str] = []

    def visit(span: Span, depth: int) -> None:
        took = f"{span.duration_ms:8.1f} ms" if span.duration_ms is not None else "    open   "
        offset = (span.start - origin) * 1000
        label = span.label or span.name
        lines.append(f"+{offset:8.1f} ms {took}  {span.outcome:<7}  {'  ' * depth}{label}")
        for child in span.children:
            visit(child, depth + 1)

    for root in roots:
        about = f" (order {order_id})" if order_id else ""
        lines.append(f"trace {root.trace_id}{about}")
        lines.append(HEADING)
        visit(root, 0)
    lines.append(LEGEND)
    return lines
