"""Dollars per million orders on AWS, from what the saga benchmark counted per order.

    python -m bench.cost [--saga bench/results/saga-<date>.json]

The variable cost of an order: its AWS requests (SQS, SNS, DynamoDB, counted by the emulators
in `bench.saga`), the CPU time our processes spent on it (as Fargate-priced vCPU time at a
50 % average utilisation), its log bytes (CloudWatch Logs ingestion) and its sampled traces
(X-Ray). Fixed costs (the RDS and ElastiCache instances, the EKS control plane, NAT, the load
balancer) do not grow with orders; `docs/capacity.md` says when they must.

List prices are US East (N. Virginia), on-demand, without free tiers, as recorded in `PRICES`
with the date they were taken: check them against the AWS pricing pages before relying on
them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS, now_iso, say, write_result

PRICES_AS_OF = "2026-11 (unchanged since the DynamoDB on-demand reduction of 2024-11-01)"
PRICES = {
    "sqs_per_million_requests": 0.40,
    "sns_per_million_publishes": 0.50,
    "dynamodb_per_million_write_units": 0.625,
    "dynamodb_per_million_read_units": 0.125,
    "fargate_per_vcpu_hour": 0.04048,
    "fargate_per_gb_hour": 0.004445,
    "cloudwatch_logs_per_gb_ingested": 0.50,
    "xray_per_million_traces_recorded": 5.00,
}
SOURCES = {
    "sqs": "aws.amazon.com/sqs/pricing: standard queue, $0.40 per million requests (64 KB each)",
    "sns": "aws.amazon.com/sns/pricing: $0.50 per million publishes (a PublishBatch entry is "
    "one); deliveries to SQS free",
    "dynamodb": "aws.amazon.com/dynamodb/pricing/on-demand: $0.625 per million write request "
    "units, $0.125 per million read request units; a transactional write costs 2 units per "
    "item per KB, TTL deletes nothing",
    "fargate": "aws.amazon.com/fargate/pricing: Linux x86, $0.04048 per vCPU-hour, $0.004445 "
    "per GB-hour",
    "cloudwatch": "aws.amazon.com/cloudwatch/pricing: logs ingestion $0.50 per GB",
    "xray": "aws.amazon.com/xray/pricing: $5.00 per million traces recorded",
}
UTILISATION = 0.5
"""Pods run at half their CPU on average (the HPA's target leaves headroom)."""
GB_PER_VCPU = 2.0
"""Our pods request 0.25 vCPU and 0.5 GB (k8s/base/apps): memory is billed alongside."""
TRACE_SHARE = 0.05
"""The default sampling rule's rate (`ecommerce.platform.sampling`); the 1-a-second reservoir
of each process is negligible at scale."""
WRITE_UNITS = {
    "dynamodb TransactWriteItems": 4.0,  # two items (the reservation, the stock), x2 transactional
    "dynamodb PutItem": 1.0,
    "dynamodb UpdateItem": 1.0,
    "dynamodb DeleteItem": 1.0,
}
READ_UNITS = {"dynamodb GetItem": 1.0}


def latest_saga() -> Path:
    found = sorted(RESULTS.glob("saga-*.json"))
    if not found:
        raise SystemExit("no bench/results/saga-*.json: run `python -m bench.saga` first")
    return found[-1]


def per_million(saga: dict[str, Any]) -> dict[str, Any]:
    phase = saga["phases"]["offered"]
    calls: dict[str, float] = phase["aws_calls_per_order_by_operation"]
    orders = phase["orders"]
    confirmed = phase["confirmed"] / orders
    sqs = sum(n for op, n in calls.items() if op.startswith("sqs "))
    # Each order's events: OrderPlaced and OrderConfirmed/OrderCancelled go through the relay
    # (PublishBatch, billed per entry), the workers' outcomes through Publish.
    relayed = 1.0 + 1.0
    publishes = calls.get("sns Publish", 0.0) + relayed
    write_units = sum(WRITE_UNITS.get(op, 0.0) * n for op, n in calls.items())
    read_units = sum(READ_UNITS.get(op, 0.0) * n for op, n in calls.items())
    cpu_ms = phase["our_cpu_ms_per_order"]
    vcpu_hours = cpu_ms / 1000 / 3600 / UTILISATION * 1e6
    log_bytes = phase.get("log_bytes_per_order", 0.0)
    lines = {
        "SQS requests": sqs * PRICES["sqs_per_million_requests"],
        "SNS publishes": publishes * PRICES["sns_per_million_publishes"],
        "DynamoDB writes": write_units * PRICES["dynamodb_per_million_write_units"],
        "DynamoDB reads": read_units * PRICES["dynamodb_per_million_read_units"],
        "compute (Fargate vCPU + memory)": vcpu_hours
        * (PRICES["fargate_per_vcpu_hour"] + GB_PER_VCPU * PRICES["fargate_per_gb_hour"]),
        "logs (CloudWatch ingestion)": log_bytes
        * 1e6
        / 1e9
        * PRICES["cloudwatch_logs_per_gb_ingested"],
        "traces (X-Ray, 5 % sampled)": TRACE_SHARE * PRICES["xray_per_million_traces_recorded"],
    }
    return {
        "per_order": {
            "sqs_requests": round(sqs, 3),
            "sns_publishes": round(publishes, 3),
            "dynamodb_write_units": round(write_units, 3),
            "dynamodb_read_units": round(read_units, 3),
            "our_cpu_ms": cpu_ms,
            "log_bytes": log_bytes,
            "confirmed_share": round(confirmed, 3),
        },
        "dollars_per_million_orders": {k: round(v, 2) for k, v in lines.items()},
        "total_dollars_per_million_orders": round(sum(lines.values()), 2),
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"cost per million orders (US East, list prices as of {PRICES_AS_OF})", ""]
    for item, dollars in result["dollars_per_million_orders"].items():
        lines.append(f"  {item:<34} ${dollars:>8.2f}")
    lines.append(f"  {'total (variable)':<34} ${result['total_dollars_per_million_orders']:>8.2f}")
    lines.append(f"\nfrom {result['saga_result']}: per order {result['per_order']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--saga", type=Path, default=None, help="a saga result (the latest)")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    source = args.saga or latest_saga()
    say(f"pricing the counts of {source}")
    saga = json.loads(source.read_text())
    result = {
        "benchmark": "cost",
        "date": now_iso(),
        "command": "python -m bench.cost " + " ".join(sys.argv[1:]),
        "saga_result": str(source.relative_to(RESULTS.parent.parent))
        if source.is_relative_to(RESULTS.parent.parent)
        else str(source),
        "prices_as_of": PRICES_AS_OF,
        "prices": PRICES,
        "sources": SOURCES,
        "assumptions": {
            "utilisation": UTILISATION,
            "gb_per_vcpu": GB_PER_VCPU,
            "trace_share": TRACE_SHARE,
            "dynamodb_items_under_1_kb": True,
        },
        **per_million(saga),
    }
    print(render(result))
    if not args.no_write:
        print(f"\nresult written to {write_result('cost', result, args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
