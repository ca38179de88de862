"""CloudWatch embedded metric format (EMF) lines on stdout.

The CloudWatch agent (or Fluent Bit) ships the log lines; CloudWatch extracts the metrics.
Names and dimensions are fixed in docs/metrics.md and used by the alarms in Terraform.

Every sample is kept: a metric's values go out in arrays of at most 100 (`MAX_VALUES`, the
limit the EMF specification sets on one array), as many documents as a minute needs; counts
go in the first document only, so that sums stay true. The collectors flush on a timer
(`flush_every`), so a route or queue that went quiet still reports its last minute.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Protocol

NAMESPACE = "Ecommerce"
FLUSH_SECONDS = 60.0
HEARTBEAT_SECONDS = 60.0
MAX_VALUES = 100
"""The most values one metric may carry in one EMF document."""

Fields = dict[str, str | int | float | list[float]]


def emit(dimensions: dict[str, str], metrics: dict[str, tuple[str, Any]]) -> None:
    """Write EMF: metrics maps name -> (unit, value or list of values), under one dimension set."""
    emit_document(
        {**dimensions, **{name: value for name, (_, value) in metrics.items()}},
        [
            {
                "Dimensions": [list(dimensions)],
                "Metrics": [{"Name": name, "Unit": unit} for name, (unit, _) in metrics.items()],
            }
        ],
    )


def heartbeat(service: str) -> None:
    """One `Heartbeat` (Count 1, dimension Service): written every minute whatever the traffic,
    so that an alarm can tell "no metrics arrive" from "nothing happened" (docs/metrics.md)."""
    emit({"Service": service}, {"Heartbeat": ("Count", 1)})


async def keep_beating(service: str, every: float = HEARTBEAT_SECONDS) -> None:
    """A heartbeat now and every `every` seconds; runs until cancelled."""
    while True:
        heartbeat(service)
        await asyncio.sleep(every)


def emit_document(fields: Fields, directives: list[dict[str, Any]]) -> None:
    """Write EMF for several metric directives (each its own dimension sets): one document, or
    more when a metric holds more than `MAX_VALUES` values."""
    timestamp = int(time.time() * 1000)
    lines = [
        json.dumps(document, separators=(",", ":"))
        for document in documents(fields, directives, timestamp)
    ]
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()


def documents(
    fields: Fields, directives: list[dict[str, Any]], timestamp: int
) -> Iterator[dict[str, Any]]:
    """The EMF documents that carry `fields`: the first with every single value and the first
    `MAX_VALUES` of each list, then one more for each further `MAX_VALUES` of a list, which
    declares only the metrics it carries. Strings (the dimensions) go in every document."""
    dimensions = {name: value for name, value in fields.items() if isinstance(value, str)}
    singles = {name: value for name, value in fields.items() if isinstance(value, int | float)}
    lists = {name: value for name, value in fields.items() if isinstance(value, list)}
    longest = max((len(values) for values in lists.values()), default=0)
    for start in range(0, max(longest, 1), MAX_VALUES):
        chunk = {
            name: values[start : start + MAX_VALUES]
            for name, values in lists.items()
            if values[start : start + MAX_VALUES]
        }
        carried: dict[str, Any] = {**(singles if start == 0 else {}), **chunk}
        declared = []
        for directive in directives:
            metrics = [m for m in directive["Metrics"] if m["Name"] in carried]
            if metrics:
                declared.append({"Namespace": NAMESPACE, **directive, "Metrics": metrics})
        if declared:
            yield {
                "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": declared},
                **dimensions,
                **carried,
            }


class Flushable(Protocol):
    def flush(self) -> None: ...


async def flush_every(metrics: Flushable, every: float = FLUSH_SECONDS) -> None:
    """Flush `metrics` every `every` seconds, traffic or not; runs until cancelled."""
    while True:
        await asyncio.sleep(every)
        metrics.flush()


def _service() -> str:
    return os.environ.get("ECOMMERCE_SERVICE", "unknown")


class QueueMetrics:
    """Per-queue counters and latencies, flushed (`flush_every`) once a minute."""

    def __init__(self, queue: str, service: str | None = None) -> None:
        self._dimensions = {"Service": service or _service(), "Queue": queue}
        self._counts: dict[str, int] = defaultdict(int)
        self._latency: list[float] = []
        self._age: list[float] = []

    def received(self, age_ms: float | None) -> None:
        self._counts["MessagesReceived"] += 1
        if age_ms is not None:
            self._age.append(round(age_ms, 1))

    def succeeded(self, latency_ms: float) -> None:
        self._counts["MessagesSucceeded"] += 1
        self._latency.append(round(latency_ms, 2))

    def failed(self) -> None:
        self._counts["MessagesFailed"] += 1

    def retried(self) -> None:
        self._counts["MessagesRetried"] += 1

    def dead_lettered(self) -> None:
        self._counts["MessagesDeadLettered"] += 1

    def flush(self) -> None:
        if not self._counts:
            return
        names = (
            "MessagesReceived",
            "MessagesSucceeded",
            "MessagesFailed",
            "MessagesRetried",
            "MessagesDeadLettered",
        )
        metrics: dict[str, tuple[str, Any]] = {n: ("Count", self._counts.get(n, 0)) for n in names}
        if self._latency:
            metrics["HandlerLatency"] = ("Milliseconds", list(self._latency))
        if self._age:
            metrics["MessageAge"] = ("Milliseconds", list(self._age))
        emit(self._dimensions, metrics)
        self._counts.clear()
        self._latency.clear()
        self._age.clear()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class HttpMetrics:
    """Per-route request counts by status class and latencies, flushed (`flush_every`) once a
    minute.

    One document per (route, status class): `Requests` rolls up to [Service, StatusClass] and
    [Service] for the alarms; `Latency` to [Service, Route] and [Service].
    """

    def __init__(self, service: str) -> None:
        self._service = service
        self._requests: dict[tuple[str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str], list[float]] = defaultdict(list)

    def record(self, route: str, status: int, latency_ms: float) -> None:
        key = (route, status_class(status))
        self._requests[key] += 1
        self._latency[key].append(round(latency_ms, 2))

    def flush(self) -> None:
        for (route, klass), count in self._requests.items():
            emit_document(
                {
                    "Service": self._service,
                    "Route": route,
                    "StatusClass": klass,
                    "Requests": count,
                    "Latency": self._latency[(route, klass)],
                },
                [
                    {
                        "Dimensions": [
                            ["Service", "Route", "StatusClass"],
                            ["Service", "StatusClass"],
                            ["Service"],
                        ],
                        "Metrics": [{"Name": "Requests", "Unit": "Count"}],
                    },
                    {
                        "Dimensions": [["Service", "Route"], ["Service"]],
                        "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}],
                    },
                ],
            )
        self._requests.clear()
        self._latency.clear()
