"""The plots of docs/performance.md, drawn from the latest results in bench/results/.

    .venv-bench/bin/python -m bench.plots

It needs matplotlib only (in .venv-bench, `requirements-bench.lock`), and writes
docs/performance/*.png. Every plot names the result file it was drawn from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OUT = ROOT / "docs" / "performance"
BEFORE = RESULTS / "before" / "http-main-e2090cc.json"


def latest(name: str) -> tuple[dict[str, Any], Path]:
    found = sorted(RESULTS.glob(f"{name}-*.json"))
    if not found:
        raise SystemExit(f"no bench/results/{name}-*.json")
    loaded: dict[str, Any] = json.loads(found[-1].read_text())
    return loaded, found[-1]


def caption(figure: Any, source: Path, result: dict[str, Any]) -> None:
    machine = result.get("machine", {})
    figure.text(
        0.01,
        0.005,
        f"{source.relative_to(ROOT)} · {machine.get('cpus')} CPU {machine.get('cpu_model', '')}"
        f" · load at start {result.get('load_average_at_start')}",
        fontsize=7,
        color="grey",
    )


def http_plot() -> None:
    after, source = latest("http")
    before = json.loads(BEFORE.read_text()) if BEFORE.exists() else None
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, phase in zip(axes, ("saga_idle", "saga_running"), strict=True):
        targets = ["floor", "direct", "edge"]
        width = 0.38
        now = [after["phases"][phase][t]["orders_per_second"] for t in targets]
        axis.bar([i + width / 2 for i in range(3)], now, width, label="this branch")
        if before is not None:
            then = [before["phases"][phase][t]["orders_per_second"] for t in targets]
            axis.bar([i - width / 2 for i in range(3)], then, width, label="before (e2090cc)")
        axis.set_xticks(range(3), targets)
        axis.set_title(f"POST /orders, {phase.replace('_', ' ')}")
        axis.set_ylabel("orders/s (2xx)")
        axis.legend(fontsize=8)
    caption(figure, source, after)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(OUT / "http.png", dpi=110)


def http_cpu_plot() -> None:
    after, source = latest("http")
    before = json.loads(BEFORE.read_text()) if BEFORE.exists() else None
    shown = ["orders", "catalog", "moto", "postgres", "edge", "ecommerce-dev", "xray"]
    figure, axis = plt.subplots(figsize=(8, 4))
    columns = [("this branch", after)] + ([("before", before)] if before else [])
    for index, (_, result) in enumerate(columns):
        cpu = result["phases"]["saga_idle"]["direct"]["cpu_ms_per_order"]
        bottom = 0.0
        for name in shown:
            value = cpu.get(name, 0.0)
            axis.bar(index, value, bottom=bottom, label=name if index == 0 else None)
            bottom += value
        axis.text(index, bottom, f"{bottom:.2f} ms", ha="center", va="bottom", fontsize=8)
    axis.set_xticks(range(len(columns)), [c[0] for c in columns])
    axis.set_ylabel("CPU ms per order (direct, saga idle)")
    axis.legend(fontsize=7, ncol=2)
    caption(figure, source, after)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(OUT / "http-cpu.png", dpi=110)


def saga_plots() -> None:
    saga, source = latest("saga")
    figure, axes = plt.subplots(1, 3, figsize=(14, 4))
    phases = saga["phases"]
    labels = [f"{p} ({phases[p]['offered_per_second']:g}/s offered)" for p in phases]
    axis = axes[0]
    for offset, pct in enumerate(("p50", "p95", "p99")):
        values = [(phases[p]["placement_to_confirmed_seconds"] or {}).get(pct, 0) for p in phases]
        axis.bar([i + offset * 0.27 for i in range(len(phases))], values, 0.27, label=pct)
    axis.set_xticks([i + 0.27 for i in range(len(phases))], labels, fontsize=8)
    axis.set_ylabel("placement -> CONFIRMED (s)")
    axis.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
    axis.legend(fontsize=8)
    axis.set_title("saga latency")
    calls = phases["offered"]["aws_calls_per_order_by_operation"]
    bottom = 0.0
    for operation, value in sorted(calls.items(), key=lambda item: -item[1]):
        axes[1].bar(0, value, bottom=bottom, label=f"{operation} {value:.2f}")
        bottom += value
    axes[1].axhline(10, color="grey", linestyle="--", linewidth=0.8)
    axes[1].set_xticks([0], ["offered phase"])
    axes[1].set_ylabel("AWS calls per settled order")
    axes[1].set_title(f"{bottom:.1f} calls per order (target <= 10)")
    axes[1].legend(fontsize=6)
    memory = phases["offered"]["emulator_memory"]
    for name in ("moto", "moto-dynamodb"):
        axes[2].plot([m["placed"] for m in memory], [m["rss_mb"][name] for m in memory], label=name)
    axes[2].set_xlabel("orders placed")
    axes[2].set_ylabel("resident MB")
    axes[2].set_ylim(bottom=0)
    axes[2].set_title("emulator memory over the run")
    axes[2].legend(fontsize=8)
    caption(figure, source, saga)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    figure.savefig(OUT / "saga.png", dpi=110)


def peer_plot() -> None:
    peer, source = latest("peer")
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    scenarios = list(peer["scenarios"])
    peers = [run["peer"] for run in peer["scenarios"][scenarios[0]]]
    width = 0.8 / len(peers)
    for index, name in enumerate(peers):
        rates = [
            next(r for r in peer["scenarios"][s] if r["peer"] == name)["messages_per_second"]
            for s in scenarios
        ]
        axes[0].bar([i + index * width for i in range(len(scenarios))], rates, width, label=name)
        rss = [
            next(r for r in peer["scenarios"][s] if r["peer"] == name)["peak_rss_mb"]
            for s in scenarios
        ]
        axes[1].bar([i + index * width for i in range(len(scenarios))], rss, width, label=name)
    for axis, label in zip(axes, ("messages/s", "peak resident MB"), strict=True):
        ticks = [i + width for i in range(len(scenarios))]
        axis.set_xticks(ticks, [f"gateway {s}" for s in scenarios])
        axis.set_ylabel(label)
        axis.legend(fontsize=8)
    axes[0].set_title("payments worker vs Celery (kombu SQS)")
    axes[1].axhline(100, color="grey", linestyle="--", linewidth=0.8)
    caption(figure, source, peer)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    figure.savefig(OUT / "peer.png", dpi=110)


def cost_and_capacity_plot() -> None:
    cost, source = latest("cost")
    capacity, _ = latest("capacity")
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    items = cost["dollars_per_million_orders"]
    axes[0].barh(list(items), list(items.values()))
    axes[0].set_xlabel("$ per million orders")
    total = cost["total_dollars_per_million_orders"]
    axes[0].set_title(f"variable cost: ${total:.2f} per million orders")
    sales = capacity["flash_sale"]
    axes[1].bar([str(s["shards"]) for s in sales], [s["reservations_per_second"] for s in sales])
    axes[1].plot(
        [str(s["shards"]) for s in sales],
        [s["ceiling_per_second"] for s in sales],
        color="grey",
        linestyle="--",
        label="DynamoDB ceiling",
    )
    axes[1].axhline(sales[0]["demand_per_second"], color="red", linewidth=0.8, label="demand")
    axes[1].set_xlabel("stock shards of the hot product")
    axes[1].set_ylabel("reservations/s (simulated)")
    axes[1].set_title("flash sale on one product")
    axes[1].legend(fontsize=8)
    figure.text(0.01, 0.005, f"{source.relative_to(ROOT)} and the capacity simulation", fontsize=7)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    figure.savefig(OUT / "cost-capacity.png", dpi=110)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for draw in (http_plot, http_cpu_plot, saga_plots, peer_plot, cost_and_capacity_plot):
        try:
            draw()
            print(f"  drew {draw.__name__}", file=sys.stderr)
        except SystemExit as missing:
            print(f"  skipped {draw.__name__}: {missing}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
