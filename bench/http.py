"""POST /orders against its floor: direct to the orders service, through the edge, and a bare
aiohttp + asyncpg endpoint doing the same writes, in one run on one stack.

    python -m bench.http [--duration 15] [--runs 3] [--connections 32] [--quick]

It boots `ecommerce dev`, registers customers, starts the floor (`bench.floor_app`) on the
stack's database, and drives each target with `bench.loadgen` (its own process, C keep-alive
connections, closed loop) in two phases:

- **saga idle**: the outbox relay and the workers are paused (SIGSTOP), so only placement runs;
- **saga running**: everything runs, and every order placed sets the saga going.

Per target and phase: requests/s (2xx), p50/p99 latency, non-2xx answers, and CPU milliseconds
per order of each process (from `/proc`, each process with its group). The targets alternate
within each run; medians over the runs are compared with the issue's targets: direct ≥ 0.5 of
the floor with p99 ≤ 3 x p50 while the saga is idle, ≥ 0.4 of the floor while it runs, no error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from bench import profile
from bench.common import load_average, machine, now_iso, output_options, publish, say
from bench.stack import LocalStack, ProcessSample, cpu_delta, cpu_seconds, http_json
from ecommerce.devstack.ports import free_port

SAGA = ["outbox-relay", "inventory-worker", "orders-worker", "payments-worker", "images-worker"]
TARGETS = ("floor", "direct", "edge")
CUSTOMERS = 20
TARGET_DIRECT_RATIO = 0.5
TARGET_RUNNING_RATIO = 0.4
TARGET_P99_OVER_P50 = 3.0
PROFILED = {"direct": ["orders"], "edge": ["edge", "ecommerce-dev"]}
"""With --profile: the processes py-spy records in the first saga-idle run of each target."""
SHOWN_PROCESSES = ("orders", "edge", "ecommerce-dev", "postgres", "floor", "loadgen")


def start_floor(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.floor_app",
            "--port",
            str(port),
            "--database-url",
            database_url,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = http_json(f"{url}/healthz", timeout=1)
            if status == 404:  # it answers: the floor has no health route
                return process, f"{url}/orders"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the floor did not start")


def drive(
    url: str, tokens_file: Path, products: list[str], connections: int, duration: float
) -> tuple[dict[str, Any], float]:
    """One load run; the result and the load generator's own CPU seconds."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            "--url",
            url,
            "--tokens",
            str(tokens_file),
            "--products",
            ",".join(products),
            "--connections",
            str(connections),
            "--duration",
            str(duration),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = process.communicate(timeout=duration + 120)
    if process.returncode != 0:
        raise RuntimeError(f"loadgen failed: {err.decode(errors='replace')[-2000:]}")
    result: dict[str, Any] = json.loads(out)
    return result, _reaped_cpu()


_last_reaped = 0.0


def _reaped_cpu() -> float:
    """CPU seconds of the children reaped since the last call (the load generator)."""
    global _last_reaped
    times = os.times()
    total = times.children_user + times.children_system
    delta, _last_reaped = total - _last_reaped, total
    return delta


async def mark_outbox_published(database_url: str) -> int:
    """Orders placed while the saga was paused stay PENDING: their events are not sent."""
    connection = await asyncpg.connect(database_url)
    try:
        # Skip what the paused relay holds locked (one batch at most): it goes out on resume.
        status = await connection.execute(
            "UPDATE outbox SET published_at = now() WHERE id IN (SELECT id FROM outbox"
            " WHERE published_at IS NULL FOR UPDATE SKIP LOCKED)"
        )
    finally:
        await connection.close()
    return int(status.split()[-1])


def measure(
    stack: LocalStack,
    floor: subprocess.Popen[bytes],
    url: str,
    tokens_file: Path,
    products: list[str],
    args: argparse.Namespace,
    profiled: Sequence[str] = (),
) -> dict[str, Any]:
    def sample() -> ProcessSample:
        found = stack.sample()
        found.cpu["floor"] = cpu_seconds(floor.pid)
        return found

    recorders = []
    pids = stack.pids()
    for name in profiled:
        if name in pids and args.profile is not None:
            raw = args.profile / f"http-{name}.txt"
            recorder = profile.start(pids[name], max(1.0, args.duration - 1), raw)
            if recorder is not None:
                recorders.append((name, raw, recorder))
    before = sample()
    result, loadgen_cpu = drive(url, tokens_file, products, args.connections, args.duration)
    spent = cpu_delta(before, sample())
    if recorders:
        result["profiles"] = {}
        for name, raw, recorder in recorders:
            recorder.wait(timeout=60)
            result["profiles"][name] = profile.summarize(raw)
    spent["loadgen"] = round(loadgen_cpu, 3)
    ok = max(1, result["ok"])
    result["cpu_ms_per_order"] = {
        name: round(seconds * 1000 / ok, 3) for name, seconds in sorted(spent.items()) if seconds
    }
    result["load_average"] = load_average()
    return result


def run_phase(
    phase: str,
    stack: LocalStack,
    floor: subprocess.Popen[bytes],
    urls: dict[str, str],
    tokens_file: Path,
    products: list[str],
    args: argparse.Namespace,
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {target: [] for target in TARGETS}
    for run in range(1, args.runs + 1):
        order = TARGETS if run % 2 else tuple(reversed(TARGETS))
        for target in order:
            profiled = PROFILED.get(target, []) if run == 1 and phase == "saga idle" else []
            result = measure(stack, floor, urls[target], tokens_file, products, args, profiled)
            found[target].append(result)
            say(
                f"  {phase:<12} run {run} {target:<7} {result['ok_per_second']:8.0f} orders/s  "
                f"p50 {result['latency_ms']['p50']:7.1f} ms  p99 {result['latency_ms']['p99']:7.1f}"
                f" ms  non-2xx {result['requests'] - result['ok']}"
            )
    return found


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(values: Sequence[float]) -> float:
        return round(statistics.median(values), 3)

    names = sorted({name for run in runs for name in run["cpu_ms_per_order"]})
    return {
        "runs": len(runs),
        "orders_per_second": median([r["ok_per_second"] for r in runs]),
        "orders_per_second_min": min(r["ok_per_second"] for r in runs),
        "orders_per_second_max": max(r["ok_per_second"] for r in runs),
        "p50_ms": median([r["latency_ms"]["p50"] for r in runs]),
        "p99_ms": median([r["latency_ms"]["p99"] for r in runs]),
        "non_2xx": sum(r["requests"] - r["ok"] for r in runs),
        "connection_errors": sum(sum(r["errors"].values()) for r in runs),
        "statuses": _merged([r["statuses"] for r in runs]),
        "cpu_ms_per_order": {
            name: median([r["cpu_ms_per_order"].get(name, 0.0) for r in runs]) for name in names
        },
    }


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for status, n in count.items():
            total[status] = total.get(status, 0) + n
    return dict(sorted(total.items()))


def verdicts(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    idle, running = phases["saga_idle"], phases["saga_running"]
    direct_ratio = idle["direct"]["orders_per_second"] / idle["floor"]["orders_per_second"]
    running_ratio = running["direct"]["orders_per_second"] / running["floor"]["orders_per_second"]
    tail = idle["direct"]["p99_ms"] / idle["direct"]["p50_ms"]
    errors = sum(
        phases[phase][target]["non_2xx"] + phases[phase][target]["connection_errors"]
        for phase in phases
        for target in ("direct", "edge")
    )
    return {
        "direct_over_floor_saga_idle": round(direct_ratio, 3),
        "direct_over_floor_saga_idle_met": direct_ratio >= TARGET_DIRECT_RATIO,
        "edge_over_floor_saga_idle": round(
            idle["edge"]["orders_per_second"] / idle["floor"]["orders_per_second"], 3
        ),
        "p99_over_p50_direct": round(tail, 2),
        "p99_over_p50_met": tail <= TARGET_P99_OVER_P50,
        "direct_over_floor_saga_running": round(running_ratio, 3),
        "direct_over_floor_saga_running_met": running_ratio >= TARGET_RUNNING_RATIO,
        "errors": errors,
        "errors_met": errors == 0,
    }


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    started_load = load_average()
    with LocalStack() as stack, tempfile.TemporaryDirectory(prefix="bench-http-") as folder:
        tokens = stack.customers(CUSTOMERS)
        products = stack.products(10)
        tokens_file = Path(folder) / "tokens.json"
        tokens_file.write_text(json.dumps(tokens))
        database_url = stack.endpoints["database"]
        floor, floor_url = start_floor(database_url)
        urls = {
            "floor": floor_url,
            "direct": f"{stack.url_of('orders')}/orders",
            "edge": f"{stack.edge}/orders",
        }
        try:
            say(f"warming up ({args.connections} connections, 3 s a target)")
            for target in TARGETS:
                drive(urls[target], tokens_file, products, args.connections, 3.0)
            phases: dict[str, dict[str, Any]] = {}
            with stack.paused(SAGA):
                say("saga idle: the relay and the workers are paused")
                idle = run_phase("saga idle", stack, floor, urls, tokens_file, products, args)
                held = asyncio.run(mark_outbox_published(database_url))
                say(f"  {held} orders placed while paused are left PENDING (their events unsent)")
            say("saga running: every order placed goes through the saga")
            running = run_phase("saga running", stack, floor, urls, tokens_file, products, args)
            phases["saga_idle"] = {t: summarize(runs) for t, runs in idle.items()}
            phases["saga_running"] = {t: summarize(runs) for t, runs in running.items()}
            raw = {"saga_idle": idle, "saga_running": running}
        finally:
            floor.terminate()
            floor.wait(timeout=10)
    return {
        "benchmark": "http",
        "date": now_iso(),
        "command": "python -m bench.http " + " ".join(sys.argv[1:]),
        "settings": {
            "connections": args.connections,
            "duration_seconds": args.duration,
            "runs": args.runs,
            "customers": CUSTOMERS,
            "request": "POST /orders, one product of 10 in turn, quantity 1, tok_visa, "
            "a fresh Idempotency-Key each",
            "floor": "bench/floor_app.py: aiohttp + asyncpg, the same rows in one statement",
        },
        "machine": machine(),
        "load_average_at_start": started_load,
        "phases": phases,
        "targets": verdicts(phases),
        "profiles": {
            f"{target} ({name})": run["profiles"][name]
            for target, runs in raw["saga_idle"].items()
            for run in runs[:1]
            for name in run.get("profiles", {})
        },
        "runs": raw,
    }


def render(result: dict[str, Any]) -> str:
    lines = [
        f"POST /orders: {result['settings']['connections']} connections, "
        f"{result['settings']['duration_seconds']:g} s x {result['settings']['runs']} run(s), "
        f"medians; load at start {result['load_average_at_start']}",
        "",
        f"{'phase':<13}{'target':<8}{'orders/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  "
        "CPU ms per order by process",
    ]
    for phase, targets in result["phases"].items():
        for target, summary in targets.items():
            cpu = ", ".join(
                f"{name} {value:.2f}"
                for name, value in summary["cpu_ms_per_order"].items()
                if name in SHOWN_PROCESSES and value >= 0.01
            )
            lines.append(
                f"{phase:<13}{target:<8}{summary['orders_per_second']:>10.0f}"
                f"{summary['p50_ms']:>9.1f}{summary['p99_ms']:>9.1f}"
                f"{summary['non_2xx'] + summary['connection_errors']:>8}  {cpu}"
            )
    targets = result["targets"]
    lines += [
        "",
        f"direct/floor, saga idle: {targets['direct_over_floor_saga_idle']:.2f} (target >= "
        f"{TARGET_DIRECT_RATIO}: "
        f"{'met' if targets['direct_over_floor_saga_idle_met'] else 'MISSED'}); "
        f"p99/p50 {targets['p99_over_p50_direct']:.1f} (target <= {TARGET_P99_OVER_P50}: "
        f"{'met' if targets['p99_over_p50_met'] else 'MISSED'})",
        f"direct/floor, saga running: {targets['direct_over_floor_saga_running']:.2f} (target >= "
        f"{TARGET_RUNNING_RATIO}: "
        f"{'met' if targets['direct_over_floor_saga_running_met'] else 'MISSED'}); "
        f"errors {targets['errors']} (target 0)",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds a run (15)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each target (3)")
    parser.add_argument("--connections", type=int, default=32, help="connections (32)")
    parser.add_argument("--quick", action="store_true", help="5 s x 1 run")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="py-spy the orders service and the edge in the first saga-idle run (needs py-spy)",
    )
    output_options(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.runs = 5.0, 1
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_bench(args)
    return publish("http", result, render(result), args)


if __name__ == "__main__":
    sys.exit(main())
