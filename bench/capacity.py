"""Simulations behind docs/capacity.md: what limits the system at internet scale.

    python -m bench.capacity [--saga bench/results/saga-<date>.json]

Nothing here calls AWS: these are discrete-time models with AWS's documented limits and the
rates this repository's benchmarks measured, so that the arithmetic of docs/capacity.md can be
checked and its parameters changed.

1. **A flash sale on one product.** DynamoDB serves at most 1,000 write units a second from one
   partition, and one item lives in one partition; a reservation is a transactional write (2
   units per KB), so one product item takes at most 500 reservations a second however the
   table scales. Its stock split over S items ("shards", `PRODUCT#<id>#STOCK#<k>`) takes S times
   that: each reservation tries a random shard, then the others, until one has the quantity. The
   model runs 100 ms ticks; a reservation refused for throughput is retried with the SDK's
   jittered backoff. It reports the reservations per second sustained, the time to sell out, the
   share throttled, and the units left unsold when demand remained (none may be oversold: each
   shard's condition `stock >= :q` holds).
2. **Queue autoscaling (KEDA on SQS).** The payments worker's ScaledObject: a replica per 20
   messages visible or in flight, polled every 15 s, 1 to 10 replicas; a replica handles 20
   messages at a time at the gateway's 300 ms. A sale's burst of orders arrives; the model
   gives replicas over time, the deepest backlog and the oldest message.
3. **The PostgreSQL write ceiling**, from the saga benchmark's PostgreSQL CPU per order.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS, now_iso, say, write_result

PARTITION_WRITE_UNITS = 1000
"""DynamoDB's per-partition ceiling: 1,000 WCU/s (3,000 RCU/s)."""
TRANSACTION_UNITS_PER_ITEM = 2
TICK = 0.1


@dataclass
class FlashSale:
    demand_per_second: float = 5000.0
    demand_seconds: float = 30.0
    """The opening rush: customers arrive at `demand_per_second` for this long."""
    stock: int = 100_000
    shards: int = 1
    seconds: float = 120.0
    max_attempts: int = 5
    """The SDK's attempts before the message goes back to SQS (its visibility backoff)."""


def flash_sale(sale: FlashSale, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    per_shard_tick = PARTITION_WRITE_UNITS / TRANSACTION_UNITS_PER_ITEM * TICK
    stock = [
        sale.stock // sale.shards + (1 if k < sale.stock % sale.shards else 0)
        for k in range(sale.shards)
    ]
    waiting: list[tuple[float, float, int]] = []  # a heap of (ready_at, arrived_at, attempts)
    reserved_at: list[float] = []
    throttled = tries = 0
    now = 0.0
    arrivals = 0.0
    sold_out_at: float | None = None
    while now < sale.seconds and sold_out_at is None:
        if now < sale.demand_seconds:
            arrivals += sale.demand_per_second * TICK
        while arrivals >= 1:
            heapq.heappush(waiting, (now, now, 0))
            arrivals -= 1
        budget = [per_shard_tick] * sale.shards
        ready = []
        while waiting and waiting[0][0] <= now:
            ready.append(heapq.heappop(waiting))
        rng.shuffle(ready)
        for _, arrived, attempts in ready:
            if sold_out_at is not None:
                break
            placed = False
            for shard in rng.sample(range(sale.shards), sale.shards):
                tries += 1
                if budget[shard] < 1:
                    break  # throttled on this shard: back off, try again later
                budget[shard] -= 1
                if stock[shard] >= 1:
                    stock[shard] -= 1
                    reserved_at.append(now - arrived)
                    placed = True
                    break
            if sum(stock) == 0:
                sold_out_at = now
            if placed or sold_out_at is not None:
                continue
            throttled += 1
            delay = rng.uniform(0, min(20.0, 0.05 * 2 ** min(attempts, 8)))
            if attempts + 1 >= sale.max_attempts:
                delay += rng.uniform(1, 2)  # back to the queue, visible again after a backoff
            heapq.heappush(waiting, (now + delay, arrived, attempts + 1))
        now += TICK
    reserved = len(reserved_at)
    span = sold_out_at if sold_out_at is not None else sale.seconds
    latencies = sorted(reserved_at)
    return {
        "shards": sale.shards,
        "demand_per_second": sale.demand_per_second,
        "stock": sale.stock,
        "reserved": reserved,
        "oversold": max(0, reserved - sale.stock),
        "units_left": sum(stock),
        "sold_out_after_seconds": round(sold_out_at, 1) if sold_out_at is not None else None,
        "reservations_per_second": round(reserved / span, 1),
        "ceiling_per_second": sale.shards * PARTITION_WRITE_UNITS // TRANSACTION_UNITS_PER_ITEM,
        "throttled_share_of_attempts": round(throttled / max(1, tries), 3),
        "wait_to_reserve_seconds": {
            "p50": round(latencies[len(latencies) // 2], 2) if latencies else None,
            "p99": round(latencies[int(len(latencies) * 0.99)], 2) if latencies else None,
        },
        "customers_turned_away_after_sell_out": len(waiting),
    }


@dataclass
class Burst:
    base_per_second: float = 20.0
    peak_per_second: float = 1500.0
    ramp_seconds: float = 60.0
    peak_seconds: float = 300.0
    per_replica_concurrency: int = 20
    service_seconds: float = 0.3
    queue_length_target: int = 20
    polling_seconds: float = 15.0
    min_replicas: int = 1
    max_replicas: int = 10
    start_seconds: float = 20.0
    """From a scale-up decision to a replica consuming (scheduling, image cached, start)."""


def autoscaling(burst: Burst) -> dict[str, Any]:
    backlog = 0.0
    replicas = burst.min_replicas
    starting: list[tuple[float, int]] = []
    timeline = []
    deepest = oldest = 0.0
    per_replica = burst.per_replica_concurrency / burst.service_seconds
    total = burst.ramp_seconds * 2 + burst.peak_seconds + 600
    second = 0
    while second < total:
        t = float(second)
        if t < burst.ramp_seconds:
            rate = burst.base_per_second + (burst.peak_per_second - burst.base_per_second) * (
                t / burst.ramp_seconds
            )
        elif t < burst.ramp_seconds + burst.peak_seconds:
            rate = burst.peak_per_second
        elif t < burst.ramp_seconds * 2 + burst.peak_seconds:
            rate = burst.peak_per_second - (burst.peak_per_second - burst.base_per_second) * (
                (t - burst.ramp_seconds - burst.peak_seconds) / burst.ramp_seconds
            )
        else:
            rate = burst.base_per_second
        for ready_at, count in list(starting):
            if ready_at <= t:
                replicas += count
                starting.remove((ready_at, count))
        capacity = replicas * per_replica
        backlog = max(0.0, backlog + rate - capacity)
        in_flight = min(backlog + rate, replicas * burst.per_replica_concurrency)
        if second % int(burst.polling_seconds) == 0:
            wanted = math.ceil((backlog + in_flight) / burst.queue_length_target)
            wanted = max(burst.min_replicas, min(burst.max_replicas, wanted))
            pending = replicas + sum(count for _, count in starting)
            if wanted > pending:
                # HPA's default scale-up: at most double, or +4 pods, per 15 s.
                step = min(wanted - pending, max(4, pending))
                starting.append((t + burst.start_seconds, step))
            elif wanted < replicas and t > burst.ramp_seconds * 2 + burst.peak_seconds + 300:
                replicas = wanted  # after the 300 s stabilisation window
        deepest = max(deepest, backlog)
        age = backlog / capacity if capacity else float("inf")
        oldest = max(oldest, age)
        if second % 30 == 0:
            timeline.append(
                {
                    "t": second,
                    "offered": round(rate),
                    "replicas": replicas,
                    "backlog": round(backlog),
                    "age_s": round(age, 1),
                }
            )
        second += 1
    return {
        "per_replica_messages_per_second": round(per_replica, 1),
        "ceiling_messages_per_second": round(burst.max_replicas * per_replica, 1),
        "peak_offered": burst.peak_per_second,
        "deepest_backlog": round(deepest),
        "oldest_message_seconds": round(oldest, 1),
        "replicas_needed_for_peak": math.ceil(burst.peak_per_second / per_replica),
        "timeline": timeline,
    }


def postgres_ceiling(saga: dict[str, Any] | None) -> dict[str, Any]:
    if saga is None:
        return {"note": "no saga result: run `python -m bench.saga` first"}
    phase = saga["phases"]["offered"]
    cpu_ms = phase["cpu_ms_per_order"].get("postgres", 0.0)
    found: dict[str, Any] = {"postgres_cpu_ms_per_order_here": cpu_ms}
    for vcpus in (2, 8, 32, 64):
        found[f"orders_per_second_at_70pct_of_{vcpus}_vcpu"] = (
            round(vcpus * 1000 * 0.7 / cpu_ms) if cpu_ms else None
        )
    return found


def latest_saga(path: Path | None) -> dict[str, Any] | None:
    candidates = [path] if path else sorted(RESULTS.glob("saga-*.json"))
    if not candidates:
        return None
    loaded: dict[str, Any] = json.loads(candidates[-1].read_text())
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("--saga", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    say("flash sale on one product: 5,000 reservations/s for 30 s, 100,000 units")
    sales = [flash_sale(FlashSale(shards=shards)) for shards in (1, 4, 16, 32)]
    for sale in sales:
        say(
            f"  {sale['shards']:>2} shard(s): {sale['reservations_per_second']:7.1f}/s "
            f"(ceiling {sale['ceiling_per_second']}), sold out after "
            f"{sale['sold_out_after_seconds']} s, throttled "
            f"{sale['throttled_share_of_attempts']:.0%} of attempts, p99 wait "
            f"{sale['wait_to_reserve_seconds']['p99']} s, oversold {sale['oversold']}"
        )
    say("payments workers under KEDA, a burst to 1,500 orders/s, gateway at 300 ms")
    scaling = {
        "max 10 replicas (k8s/base today)": autoscaling(Burst()),
        "max 30 replicas": autoscaling(Burst(max_replicas=30)),
    }
    for label, found in scaling.items():
        say(
            f"  {label}: ceiling {found['ceiling_messages_per_second']}/s, deepest backlog "
            f"{found['deepest_backlog']}, oldest message {found['oldest_message_seconds']} s"
        )
    result = {
        "benchmark": "capacity",
        "date": now_iso(),
        "command": "python -m bench.capacity " + " ".join(sys.argv[1:]),
        "flash_sale": sales,
        "autoscaling": scaling,
        "postgres": postgres_ceiling(latest_saga(args.saga)),
    }
    say(f"postgres: {result['postgres']}")
    if not args.no_write:
        print(f"result written to {write_result('capacity', result, args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
