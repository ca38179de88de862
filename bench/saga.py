"""The local saga end to end: orders placed at an offered rate by concurrent customers, until
every one is CONFIRMED or CANCELLED.

    python -m bench.saga [--orders 5000] [--rate 20] [--peak-orders 1500] [--peak-rate 60]
                         [--customers 16] [--quick]

It boots `ecommerce dev` with its emulators counting the AWS calls they serve, gives ten
products ample stock, registers customers, and runs two phases:

- **offered**: `--orders` orders at `--rate` orders/s (open loop: each is sent at its time,
  whatever the answers do), from `--customers` customers in turn, through the edge. The
  emulators' memory is sampled every 500 orders placed.
- **peak**: `--peak-orders` orders at `--peak-rate` orders/s, more than the saga settles, to
  measure how many it settles a second.

Per phase: settled orders/s (orders ÷ from the first placed to the last settled),
placement→CONFIRMED p50/p95/p99 (from the orders' own history rows), AWS calls per order by
service and operation (counted by the emulators), CPU ms per order of every process, resident
memory of every process, and the products table's items per product before and after.

Then the **emulator floor**: the saga's AWS calls made directly (no service code: no envelope,
PostgreSQL, logging or tracing) against the same emulators, by as many concurrent "orders" as
the workers run, for as long as a phase: per order one TransactWriteItems, three Publish (each
fanned out to a queue), a PutItem, two UpdateItem, and the messages received ten at a time and
deleted in batches. Its orders/s over the saga's is what the emulator leaves to our code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench import profile
from bench.common import load_average, machine, now_iso, output_options, publish, say
from bench.consumer import visible
from bench.stack import LocalStack, cpu_delta, http_json
from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.platform.aws import AwsClients

PRODUCTS = 10
STOCK = 1_000_000
RETENTION_SECONDS = 1800
"""Longer than any backlog a run builds: an OrderPlaced older than the retention is refused,
so a short one would dead-letter orders whenever the saga falls behind (under load it does).
The sweep that bounds the items is tested in tests/integration/test_inventory_store.py."""
SWEEP_SECONDS = 60
STALL_SECONDS = 180.0
"""Stop waiting when no order has settled for this long (and report what did)."""
MEMORY_EVERY = 500
SETTLE_WITHIN = 600.0
TARGET_SETTLED_PER_SECOND = 30
TARGET_P50_SECONDS = 1.0
TARGET_CALLS_PER_ORDER = 10
TARGET_CPU_MS_PER_ORDER = 20
OUR_PROCESSES = (
    "orders",
    "outbox-relay",
    "inventory-worker",
    "orders-worker",
    "payments-worker",
    "webhooks",
)
"""Our deployables on the order path (the CPU target). Not the dev edge (the ALB in AWS), the
supervisor, the servers or the gateway simulator: each has its own line in the results."""
PROFILED = ("inventory-worker", "payments-worker", "orders-worker", "outbox-relay", "orders")
SAGA_OPERATIONS = (
    "dynamodb TransactWriteItems",
    "dynamodb PutItem",
    "dynamodb UpdateItem",
    "dynamodb GetItem",
    "sns Publish",
    "sns PublishBatch",
    "sqs ReceiveMessage",
    "sqs SendMessage",  # the webhooks frontend queues each processor event it verified
    "sqs DeleteMessageBatch",
    "sqs DeleteMessage",
    "sqs ChangeMessageVisibility",
    "sqs ChangeMessageVisibilityBatch",
)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def emulator_calls(stack: LocalStack, reset: bool = False) -> dict[str, int]:
    counts: dict[str, int] = {}
    for endpoint in {stack.endpoints["aws"], stack.endpoints["dynamodb"]}:
        status, body = http_json(f"{endpoint}/_emulator/calls", method="DELETE" if reset else "GET")
        if status != 200:
            raise RuntimeError(f"the emulator at {endpoint} does not count calls ({status})")
        for name, count in body.items():
            counts[name] = counts.get(name, 0) + count
    return counts


def stock_up(stack: LocalStack, products: list[str]) -> None:
    status, body = http_json(
        f"{stack.edge}/auth/login",
        {"email": DEFAULT_ADMIN_EMAIL, "password": DEFAULT_ADMIN_PASSWORD},
    )
    if status != 200:
        raise RuntimeError(f"admin login answered {status}: {body}")
    admin = {"Authorization": f"Bearer {body['access_token']}"}
    for product in products:
        _, current = http_json(f"{stack.edge}/products/{product}")
        status, answer = http_json(
            f"{stack.edge}/products/{product}/stock",
            {"stock": STOCK, "expected_stock": current["stock"]},
            headers=admin,
            method="PUT",
        )
        if status != 200:
            raise RuntimeError(f"setting the stock of {product} answered {status}: {answer}")


async def place_all(
    edge: str,
    tokens: list[str],
    products: list[str],
    count: int,
    rate: float,
    on_placed: Any = None,
) -> tuple[list[str], dict[str, int]]:
    """Place `count` orders at `rate` a second (open loop); their ids, and answers by status."""
    ids: list[str] = []
    statuses: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def place(number: int) -> None:
            body = {
                "items": [{"product_id": products[number % len(products)], "quantity": 1}],
                "payment_token": "tok_visa",
            }
            headers = {
                "Authorization": f"Bearer {tokens[number % len(tokens)]}",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            try:
                async with session.post(f"{edge}/orders", json=body, headers=headers) as answer:
                    key = str(answer.status)
                    if answer.status == 202:
                        ids.append((await answer.json())["id"])
            except (aiohttp.ClientError, TimeoutError) as error:
                key = type(error).__name__
            statuses[key] = statuses.get(key, 0) + 1

        started = time.monotonic()
        tasks = []
        for number in range(count):
            delay = started + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(place(number)))
            if on_placed is not None and (number + 1) % MEMORY_EVERY == 0:
                on_placed(number + 1)
        await asyncio.gather(*tasks)
    return ids, statuses


async def wait_settled(database_url: str, ids: list[str]) -> int:
    """Until every order settled, or none did for `STALL_SECONDS`; how many settled."""
    connection = await asyncpg.connect(database_url)
    try:
        keys = [uuid.UUID(i) for i in ids]
        deadline = time.monotonic() + SETTLE_WITHIN
        last, last_change = -1, time.monotonic()
        while True:
            settled: int = await connection.fetchval(
                "SELECT count(*) FROM orders WHERE id = any($1::uuid[])"
                " AND status IN ('CONFIRMED', 'CANCELLED')",
                keys,
            )
            now = time.monotonic()
            if settled != last:
                say(f"    settled {settled}/{len(ids)}")
                last, last_change = settled, now
            if settled >= len(ids):
                return settled
            if now > deadline or now - last_change > STALL_SECONDS:
                say(f"  STALLED: {settled} of {len(ids)} settled; see dead_letters in the result")
                return settled
            await asyncio.sleep(1.0)
    finally:
        await connection.close()


async def dead_letters() -> dict[str, int]:
    """Messages in each dead-letter queue of the stack."""
    clients = AwsClients(os.environ["AWS_REGION"])
    found: dict[str, int] = {}
    try:
        sqs = await clients.client("sqs")
        for url in (await sqs.list_queues(QueueNamePrefix="ecommerce-")).get("QueueUrls", []):
            if url.endswith("-dlq"):
                found[url.rsplit("/", 1)[-1]] = await visible(sqs, url)
    finally:
        await clients.close()
    return found


async def timings(database_url: str, ids: list[str]) -> dict[str, Any]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT o.id, o.status, o.created_at,"
            " (SELECT max(h.at) FROM order_history h WHERE h.order_id = o.id"
            "  AND h.to_status IN ('CONFIRMED', 'CANCELLED')) AS settled_at"
            " FROM orders o WHERE o.id = any($1::uuid[])",
            [uuid.UUID(i) for i in ids],
        )
    finally:
        await connection.close()
    rows = [r for r in rows if r["settled_at"] is not None]
    confirmed = [r for r in rows if r["status"] == "CONFIRMED"]
    latencies = [(r["settled_at"] - r["created_at"]).total_seconds() for r in confirmed]
    first = min(r["created_at"] for r in rows)
    last = max(r["settled_at"] for r in rows)
    span = (last - first).total_seconds()
    return {
        "orders": len(rows),
        "confirmed": len(confirmed),
        "cancelled": len(rows) - len(confirmed),
        "seconds_first_placed_to_last_settled": round(span, 2),
        "settled_per_second": round(len(rows) / span, 2),
        "placement_to_confirmed_seconds": {
            "p50": round(percentile(latencies, 0.50), 3),
            "p95": round(percentile(latencies, 0.95), 3),
            "p99": round(percentile(latencies, 0.99), 3),
            "max": round(max(latencies), 3),
        }
        if latencies
        else None,
    }


def log_sizes(stack: LocalStack) -> dict[str, int]:
    """Bytes in each process's log file so far."""
    return {path.stem: path.stat().st_size for path in (stack.state_dir / "logs").glob("*.log")}


def use_emulators(stack: LocalStack) -> None:
    """This process's AWS clients talk to the stack's emulators from now on."""
    os.environ.update(
        aws_environment(
            {}, stack.endpoints["aws"], embedded=True, dynamodb_endpoint=stack.endpoints["dynamodb"]
        )
    )


async def products_table_items() -> dict[str, int]:
    """Items of the products table by kind (PRODUCT#, RESERVATION#)."""
    clients = AwsClients(os.environ["AWS_REGION"])
    counts: dict[str, int] = {}
    try:
        dynamodb = await clients.client("dynamodb")
        request: dict[str, Any] = {"TableName": "ecommerce-products", "ProjectionExpression": "pk"}
        while True:
            page = await dynamodb.scan(**request)
            for item in page["Items"]:
                kind = item["pk"]["S"].split("#", 1)[0]
                counts[kind] = counts.get(kind, 0) + 1
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    finally:
        await clients.close()
    return counts


def run_phase(
    name: str,
    stack: LocalStack,
    tokens: list[str],
    products: list[str],
    count: int,
    rate: float,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    say(f"{name}: {count} orders at {rate:g}/s offered")
    items_before = asyncio.run(products_table_items())
    emulator_calls(stack, reset=True)
    memory: list[dict[str, Any]] = []

    def remember(placed: int) -> None:
        rss = stack.sample().rss
        memory.append(
            {
                "placed": placed,
                "rss_mb": {n: round(rss[n] / 2**20, 1) for n in ("moto", "moto-dynamodb")},
            }
        )

    remember(0)
    logs_before = log_sizes(stack)
    recorders = []
    if profile_dir is not None:
        pids = stack.pids()
        for process in PROFILED:
            raw = profile_dir / f"saga-{name}-{process}.txt"
            recorder = profile.start(pids[process], min(30.0, count / rate), raw)
            if recorder is not None:
                recorders.append((process, raw, recorder))
    before = stack.sample()
    ids, statuses = asyncio.run(
        place_all(stack.edge, tokens, products, count, rate, on_placed=remember)
    )
    say(f"  placed {len(ids)} (answers {statuses}); waiting for the saga")
    settled_count = asyncio.run(wait_settled(stack.endpoints["database"], ids))
    after = stack.sample()
    logs = {n: b - logs_before.get(n, 0) for n, b in log_sizes(stack).items()}
    calls = emulator_calls(stack)
    found = asyncio.run(timings(stack.endpoints["database"], ids))
    found["unsettled"] = len(ids) - settled_count
    found["dead_letters"] = asyncio.run(dead_letters())
    spent = cpu_delta(before, after)
    settled = max(1, found["orders"])
    saga_calls = {op: n for op, n in calls.items() if op in SAGA_OPERATIONS}
    ours = sum(spent.get(process, 0.0) for process in OUR_PROCESSES) * 1000 / settled
    time.sleep(SWEEP_SECONDS + 2)
    items_after = asyncio.run(products_table_items())
    profiles = {}
    for process, raw, recorder in recorders:
        recorder.wait(timeout=120)
        profiles[process] = profile.summarize(raw)
    result = {
        "orders_offered": count,
        "offered_per_second": rate,
        "answers": statuses,
        **found,
        "aws_calls_per_order": round(sum(saga_calls.values()) / settled, 2),
        "aws_calls_per_order_by_operation": {
            op: round(n / settled, 3) for op, n in sorted(saga_calls.items())
        },
        "other_aws_calls": {op: n for op, n in sorted(calls.items()) if op not in saga_calls},
        "cpu_ms_per_order": {n: round(s * 1000 / settled, 3) for n, s in sorted(spent.items())},
        "our_cpu_ms_per_order": round(ours, 2),
        "log_bytes_per_order": round(sum(logs.get(p, 0) for p in OUR_PROCESSES) / settled, 1),
        "log_bytes_per_order_by_process": {
            n: round(b / settled, 1) for n, b in sorted(logs.items()) if b > 0
        },
        "rss_mb_end": {n: round(b / 2**20, 1) for n, b in sorted(after.rss.items())},
        "emulator_memory": memory,
        "products_table_items": {"before": items_before, "after_sweep": items_after},
        "load_average": load_average(),
        **({"profiles": profiles} if profiles else {}),
    }
    latency = found["placement_to_confirmed_seconds"] or {}
    say(
        f"  {found['settled_per_second']:.1f} settled/s, p50 {latency.get('p50')} s, "
        f"p99 {latency.get('p99')} s, {result['aws_calls_per_order']} AWS calls/order, "
        f"our CPU {ours:.1f} ms/order"
    )
    return result


# --- the emulator floor ----------------------------------------------------------------------


async def emulator_floor(stack: LocalStack, seconds: float, concurrency: int) -> dict[str, Any]:
    """The saga's AWS calls made directly, `concurrency` orders at a time, for `seconds`."""
    clients = AwsClients(os.environ["AWS_REGION"], pool_size=concurrency * 2 + 10)
    tag = uuid.uuid4().hex[:8]
    try:
        sns = await clients.client("sns")
        sqs = await clients.client("sqs")
        dynamodb = await clients.client("dynamodb")
        topic = (await sns.create_topic(Name=f"floor-{tag}"))["TopicArn"]
        queue = (await sqs.create_queue(QueueName=f"floor-{tag}"))["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        await sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        table = "ecommerce-products"
        product = {"pk": {"S": f"PRODUCT#floor-{tag}"}}
        await dynamodb.put_item(TableName=table, Item={**product, "stock": {"N": str(STOCK)}})
        payments = "ecommerce-payments"
        body = "x" * 600  # about an event's size
        done = 0
        stop_at = time.monotonic() + seconds
        received = 0

        async def one_order() -> None:
            order = uuid.uuid4().hex
            reservation = {"pk": {"S": f"RESERVATION#floor-{order}"}}
            await sns.publish(TopicArn=topic, Message=body)  # OrderPlaced (the relay)
            await dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": {**reservation, "s": {"S": "R"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": table,
                            "Key": product,
                            "UpdateExpression": "SET stock = stock - :q",
                            "ConditionExpression": "stock >= :q",
                            "ExpressionAttributeValues": {":q": {"N": "1"}},
                        }
                    },
                ]
            )
            await sns.publish(TopicArn=topic, Message=body)  # InventoryReserved
            key = {"pk": {"S": f"PAYMENT#floor-{order}"}}
            await dynamodb.put_item(
                TableName=payments,
                Item={**key, "s": {"S": "I"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            await dynamodb.update_item(
                TableName=payments,
                Key=key,
                UpdateExpression="SET s = :c",
                ExpressionAttributeValues={":c": {"S": "C"}},
            )
            await sns.publish(TopicArn=topic, Message=body)  # PaymentSucceeded
            await dynamodb.update_item(
                TableName=table,
                Key=reservation,
                UpdateExpression="SET s = :c",
                ExpressionAttributeValues={":c": {"S": "C"}},
            )  # the commit

        async def orders_loop() -> None:
            nonlocal done
            while time.monotonic() < stop_at:
                await one_order()
                done += 1

        async def drain() -> None:
            nonlocal received
            while time.monotonic() < stop_at + 2:
                answer = await sqs.receive_message(
                    QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
                )
                messages = answer.get("Messages", [])
                if messages:
                    received += len(messages)
                    await sqs.delete_message_batch(
                        QueueUrl=queue,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    )

        emulator_calls(stack, reset=True)
        before = stack.sample()
        started = time.monotonic()
        await asyncio.gather(*(orders_loop() for _ in range(concurrency)), drain(), drain())
        elapsed = min(time.monotonic() - started, seconds)
        spent = cpu_delta(before, stack.sample())
        calls = emulator_calls(stack)
        await sqs.delete_queue(QueueUrl=queue)
        await sns.delete_topic(TopicArn=topic)
    finally:
        await clients.close()
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "orders": done,
        "orders_per_second": round(done / elapsed, 2),
        "messages_received": received,
        "aws_calls_per_order": round(sum(calls.values()) / max(1, done), 2),
        "aws_calls_by_operation": dict(sorted(calls.items())),
        "emulator_cpu_ms_per_order": {
            name: round(spent.get(name, 0.0) * 1000 / max(1, done), 2)
            for name in ("moto", "moto-dynamodb")
        },
    }


# --- the report ------------------------------------------------------------------------------


def verdicts(result: dict[str, Any]) -> dict[str, Any]:
    offered, peak = result["phases"]["offered"], result["phases"]["peak"]
    p50 = (offered["placement_to_confirmed_seconds"] or {}).get("p50", float("inf"))
    calls = offered["aws_calls_per_order"]
    cpu = offered["our_cpu_ms_per_order"]
    return {
        "settled_per_second_at_peak": peak["settled_per_second"],
        "settled_per_second_met": peak["settled_per_second"] >= TARGET_SETTLED_PER_SECOND,
        "p50_seconds_at_offered_rate": p50,
        "p50_met": p50 <= TARGET_P50_SECONDS,
        "aws_calls_per_order": calls,
        "aws_calls_met": calls <= TARGET_CALLS_PER_ORDER,
        "our_cpu_ms_per_order": cpu,
        "cpu_met": cpu <= TARGET_CPU_MS_PER_ORDER,
        "saga_over_emulator_floor": round(
            peak["settled_per_second"] / result["emulator_floor"]["orders_per_second"], 3
        ),
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"saga: load at start {result['load_average_at_start']}", ""]
    for name, phase in result["phases"].items():
        latency = phase["placement_to_confirmed_seconds"] or {}
        lines.append(
            f"{name:<8} {phase['orders']} orders at {phase['offered_per_second']:g}/s offered: "
            f"{phase['settled_per_second']:.1f} settled/s; placement->CONFIRMED p50 "
            f"{latency.get('p50')} s p95 {latency.get('p95')} s p99 {latency.get('p99')} s; "
            f"{phase['aws_calls_per_order']} AWS calls/order; our CPU "
            f"{phase['our_cpu_ms_per_order']} ms/order"
        )
        lines.append(
            "         calls/order: "
            + ", ".join(f"{k} {v}" for k, v in phase["aws_calls_per_order_by_operation"].items())
        )
        lines.append(
            "         CPU ms/order: "
            + ", ".join(f"{k} {v}" for k, v in phase["cpu_ms_per_order"].items() if v >= 0.05)
        )
        lines.append(
            "         RSS MB: "
            + ", ".join(f"{k} {v}" for k, v in phase["rss_mb_end"].items() if v >= 1)
        )
    floor = result["emulator_floor"]
    lines.append(
        f"emulator floor: {floor['orders_per_second']} orders/s with the saga's calls made "
        f"directly ({floor['concurrency']} at a time)"
    )
    v = result["targets"]
    lines += [
        "",
        f"settled/s at peak {v['settled_per_second_at_peak']} (target >= "
        f"{TARGET_SETTLED_PER_SECOND}: {'met' if v['settled_per_second_met'] else 'MISSED'}); "
        f"p50 {v['p50_seconds_at_offered_rate']} s at the offered rate (target <= "
        f"{TARGET_P50_SECONDS}: {'met' if v['p50_met'] else 'MISSED'})",
        f"AWS calls/order {v['aws_calls_per_order']} (target <= {TARGET_CALLS_PER_ORDER}: "
        f"{'met' if v['aws_calls_met'] else 'MISSED'}); our CPU {v['our_cpu_ms_per_order']} "
        f"ms/order (target <= {TARGET_CPU_MS_PER_ORDER}: {'met' if v['cpu_met'] else 'MISSED'})",
        f"saga / emulator floor: {v['saga_over_emulator_floor']}",
    ]
    return "\n".join(lines)


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    started_load = load_average()
    env = {
        "ECOMMERCE_EMULATOR_COUNT_CALLS": "1",
        "RESERVATION_RETENTION_SECONDS": str(RETENTION_SECONDS),
        "RESERVATION_SWEEP_SECONDS": str(SWEEP_SECONDS),
    }
    with LocalStack(env) as stack:
        use_emulators(stack)
        products = stack.products(PRODUCTS)
        stock_up(stack, products)
        tokens = stack.customers(args.customers)
        time.sleep(2)  # the read model of prices takes the new stock's events; idle a moment
        phases = {
            "offered": run_phase(
                "offered", stack, tokens, products, args.orders, args.rate, args.profile
            ),
            "peak": run_phase("peak", stack, tokens, products, args.peak_orders, args.peak_rate),
        }
        seconds = phases["peak"]["seconds_first_placed_to_last_settled"]
        say(f"emulator floor: the saga's calls made directly for {seconds:.0f} s")
        floor = asyncio.run(emulator_floor(stack, seconds, 20))
    result: dict[str, Any] = {
        "benchmark": "saga",
        "date": now_iso(),
        "command": "python -m bench.saga " + " ".join(sys.argv[1:]),
        "settings": {
            "orders": args.orders,
            "rate": args.rate,
            "peak_orders": args.peak_orders,
            "peak_rate": args.peak_rate,
            "customers": args.customers,
            "products": PRODUCTS,
            "order": "one product of ten in turn, quantity 1, tok_visa, through the edge",
            "reservation_retention_seconds": RETENTION_SECONDS,
            "reservation_sweep_seconds": SWEEP_SECONDS,
            "gateway_latency": "the simulator's default (0 ms)",
        },
        "machine": machine(),
        "load_average_at_start": started_load,
        "phases": phases,
        "emulator_floor": floor,
    }
    result["targets"] = verdicts(result)
    return result


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.saga", description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--peak-orders", type=int, default=1500)
    parser.add_argument("--peak-rate", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="300 orders a phase")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="py-spy the workers, the relay and the orders service in the offered phase",
    )
    output_options(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.orders, args.peak_orders = 300, 300
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_bench(args)
    return publish("saga", result, render(result), args)


if __name__ == "__main__":
    sys.exit(main())
