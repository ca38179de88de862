"""The tables of docs/performance.md, in Markdown, from the latest results in bench/results/.

python -m bench.report > /tmp/tables.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.common import RESULTS

BEFORE = RESULTS / "before" / "http-main-e2090cc.json"


def latest(name: str) -> tuple[dict[str, Any], Path]:
    path = sorted(RESULTS.glob(f"{name}-*.json"))[-1]
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded, path


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def http() -> str:
    result, path = latest("http")
    before = json.loads(BEFORE.read_text()) if BEFORE.exists() else None
    rows = []
    for label, data in (("before (main e2090cc)", before), ("this branch", result)):
        if data is None:
            continue
        for phase in ("saga_idle", "saga_running"):
            floor = data["phases"][phase]["floor"]["orders_per_second"]
            for target in ("floor", "direct", "edge"):
                s = data["phases"][phase][target]
                cpu = s["cpu_ms_per_order"]
                rows.append(
                    [
                        label,
                        phase.replace("_", " "),
                        target,
                        f"{s['orders_per_second']:.0f}",
                        f"{s['orders_per_second'] / floor:.2f}",
                        f"{s['p50_ms']:.1f}",
                        f"{s['p99_ms']:.1f}",
                        s["non_2xx"] + s["connection_errors"],
                        f"{cpu.get('orders', 0):.2f}",
                        f"{cpu.get('catalog', 0) + cpu.get('moto', 0):.2f}",
                        f"{cpu.get('postgres', 0):.2f}",
                        f"{cpu.get('edge', 0) + cpu.get('ecommerce-dev', 0):.2f}",
                    ]
                )
    header = [
        "code",
        "phase",
        "target",
        "orders/s",
        "x floor",
        "p50 ms",
        "p99 ms",
        "errors",
        "orders CPU ms",
        "catalog+moto CPU ms",
        "postgres CPU ms",
        "edge/supervisor CPU ms",
    ]
    return f"From `{path.relative_to(RESULTS.parent.parent)}`:\n\n" + table(header, rows)


def saga() -> str:
    result, path = latest("saga")
    rows = []
    for name, phase in result["phases"].items():
        latency = phase["placement_to_confirmed_seconds"] or {}
        rows.append(
            [
                name,
                phase["orders"],
                f"{phase['offered_per_second']:g}",
                f"{phase['settled_per_second']:.1f}",
                latency.get("p50"),
                latency.get("p95"),
                latency.get("p99"),
                phase["aws_calls_per_order"],
                phase["our_cpu_ms_per_order"],
            ]
        )
    floor = result["emulator_floor"]
    text = f"From `{path.relative_to(RESULTS.parent.parent)}`:\n\n" + table(
        [
            "phase",
            "orders",
            "offered/s",
            "settled/s",
            "p50 s",
            "p95 s",
            "p99 s",
            "AWS calls/order",
            "our CPU ms/order",
        ],
        rows,
    )
    calls = result["phases"]["offered"]["aws_calls_per_order_by_operation"]
    text += "\n\nAWS calls per order by operation (offered phase):\n\n" + table(
        ["operation", "calls/order"], [[op, n] for op, n in calls.items()]
    )
    cpu = result["phases"]["offered"]["cpu_ms_per_order"]
    rss = result["phases"]["offered"]["rss_mb_end"]
    text += "\n\nCPU ms per order and resident MB per process (offered phase):\n\n" + table(
        ["process", "CPU ms/order", "RSS MB at the end"],
        [[n, cpu.get(n, 0), rss.get(n, "")] for n in sorted(set(cpu) | set(rss))],
    )
    memory = result["phases"]["offered"]["emulator_memory"]
    text += "\n\nEmulator memory as orders are placed:\n\n" + table(
        ["orders placed", "moto MB", "moto-dynamodb MB"],
        [[m["placed"], m["rss_mb"]["moto"], m["rss_mb"]["moto-dynamodb"]] for m in memory],
    )
    items = result["phases"]["offered"]["products_table_items"]
    text += (
        f"\n\nProducts table items before / after the offered phase (and the sweep): "
        f"{items['before']} / {items['after_sweep']}.\n\nEmulator floor: "
        f"{floor['orders_per_second']} orders/s with the saga's calls made directly "
        f"({floor['concurrency']} at a time, {floor['aws_calls_per_order']} calls per order)."
    )
    return text


def peer() -> str:
    result, path = latest("peer")
    rows = []
    for scenario, runs in result["scenarios"].items():
        for run in runs:
            rows.append(
                [
                    scenario,
                    run["peer"],
                    run["messages"],
                    f"{run['messages_per_second']:.1f}",
                    f"{run['sqs_calls_per_message']:.2f}",
                    f"{run['cpu_seconds_per_1000_messages']:.1f}",
                    f"{run['peak_rss_mb']:.0f}",
                ]
            )
    return f"From `{path.relative_to(RESULTS.parent.parent)}`:\n\n" + table(
        ["gateway", "worker", "messages", "msg/s", "SQS calls/msg", "CPU s/1000 msg", "peak MB"],
        rows,
    )


def cost() -> str:
    result, path = latest("cost")
    rows = [[k, f"${v:.2f}"] for k, v in result["dollars_per_million_orders"].items()]
    rows.append(["**total (variable)**", f"**${result['total_dollars_per_million_orders']:.2f}**"])
    return f"From `{path.relative_to(RESULTS.parent.parent)}`:\n\n" + table(
        ["item", "per million orders"], rows
    )


def main() -> int:
    for title, part in (("http", http), ("saga", saga), ("peer", peer), ("cost", cost)):
        try:
            print(f"## {title}\n\n{part()}\n")
        except (IndexError, KeyError) as missing:
            print(f"## {title}\n\n(no result: {missing!r})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
