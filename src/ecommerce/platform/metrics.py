"""CloudWatch embedded metric format (EMF) lines on stdout.

The CloudWatch agent (or Fluent Bit) ships the log lines; CloudWatch extracts the metrics.
Names and dimensions are fixed in docs/metrics.md and used by the alarms in Terraform.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import defaultdict
from typing import Any

NAMESPACE = "Ecommerce"
FLUSH_SECONDS = 60.0
HEARTBEAT_SECONDS = 60.0


def emit(dimensions: dict[str, str], metrics: dict[str, tuple[str, Any]]) -> None:
    """Write one EMF document: metrics maps name -> (unit, value or list of values)."""
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [list(dimensions)],
                    "Metrics": [
                        {"Name": name, "Unit": unit} for name, (unit, _) in metrics.items()
                    ],
                }
            ],
        },
        **dimensions,
        **{name: value for name, (_, value) in metrics.items()},
    }
    sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def heartbeat(service: str) -> None:
    """One `Heartbeat` (Count 1, dimension Service): written every minute whatever the traffic,
    so that an alarm can tell "no metrics arrive" from "nothing happened" (docs/metrics.md)."""
    emit({"Service": service}, {"Heartbeat": ("Count", 1)})


async def keep_beating(service: str, every: float = HEARTBEAT_SECONDS) -> None:
    """A heartbeat now and every `every` seconds; runs until cancelled."""
    while True:
        heartbeat(service)
        await asyncio.sleep(every)


def emit_document(
    fields: dict[str, str | int | float | list[float]], directives: list[dict[str, Any]]
) -> None:
    """Write one EMF document with several metric directives (each its own dimension sets)."""
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, **d} for d in directives],
        },
        **fields,
    }
    sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _service() -> str:
    return os.environ.get("ECOMMERCE_SERVICE", "unknown")


class QueueMetrics:
    """Per-queue counters and latencies, flushed as one EMF line a minute."""

    def __init__(self, queue: str, service: str | None = None) -> None:
        self._dimensions = {"Service": service or _service(), "Queue": queue}
        self._counts: dict[str, int] = defaultdict(int)
        self._latency: list[float] = []
        self._age: list[float] = []
        self._last_flush = time.monotonic()

    def received(self, age_ms: float | None) -> None:
        self._counts["MessagesReceived"] += 1
        if age_ms is not None:
            self._age.append(round(age_ms, 1))
        self._maybe_flush()

    def succeeded(self, latency_ms: float) -> None:
        self._counts["MessagesSucceeded"] += 1
        self._latency.append(round(latency_ms, 2))
        self._maybe_flush()

    def failed(self) -> None:
        self._counts["MessagesFailed"] += 1

    def retried(self) -> None:
        self._counts["MessagesRetried"] += 1

    def dead_lettered(self) -> None:
        self._counts["MessagesDeadLettered"] += 1

    def _maybe_flush(self) -> None:
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
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
            metrics["HandlerLatency"] = ("Milliseconds", self._latency[:100])
        if self._age:
            metrics["MessageAge"] = ("Milliseconds", self._age[:100])
        emit(self._dimensions, metrics)
        self._counts.clear()
        self._latency.clear()
        self._age.clear()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class HttpMetrics:
    """Per-route request counts by status class and latencies, flushed at most every minute.

    One document per (route, status class): `Requests` rolls up to [Service, StatusClass] and
    [Service] for the alarms; `Latency` to [Service, Route] and [Service].
    """

    def __init__(self, service: str) -> None:
        self._service = service
        self._requests: dict[tuple[str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str], list[float]] = defaultdict(list)
        self._last_flush = time.monotonic()

    def record(self, route: str, status: int, latency_ms: float) -> None:
        key = (route, status_class(status))
        self._requests[key] += 1
        self._latency[key].append(round(latency_ms, 2))
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        for (route, klass), count in self._requests.items():
            emit_document(
                {
                    "Service": self._service,
                    "Route": route,
                    "StatusClass": klass,
                    "Requests": count,
                    "Latency": self._latency[(route, klass)][:100],
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
