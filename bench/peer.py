"""The payments worker against Celery 5 (kombu's SQS transport) doing the same job.

    python -m bench.peer [--messages 1000] [--slow-messages 400] [--quick]

On emulators of its own (moto, counting the calls they serve) and a gateway simulator, each
worker charges the same number of orders: ours (`python -m workers.payments`, concurrency 20)
from InventoryReserved events on its queue, and `bench.peer_celery` under Celery's prefork pool
(one process per CPU, Celery's default) and its threads pool (20 threads, as many as our
concurrency) from Celery tasks. Each message costs the same I/O: a conditional PutItem, a
gateway charge over HTTP, an UpdateItem, an SNS Publish. Twice: with the gateway answering at
once, and at a card processor's pace (`PAYMENT_GATEWAY_LATENCY_MS=200-400`, 300 ms ± 100).

Per run: messages/s (from the first charge published to the last), SQS calls per message
(receives, deletes and visibility changes the emulator served), CPU seconds per 1000 messages
and peak resident memory of the worker with its child processes.

Celery runs from `.venv-bench` (`requirements-bench.lock`); `make bench` creates it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import load_average, machine, now_iso, output_options, publish, say
from bench.consumer import visible
from bench.stack import REPO, children_by_parent, tree_cpu_seconds, tree_rss_bytes
from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.moto_server import Emulators, start_emulators
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.provision import provision
from ecommerce.events import InventoryReserved, LineItem, Money, new_event
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical

BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
LATENCIES = {"0 ms": "0", "300 ms ± 100": "200-400"}
SQS_WORK = (
    "sqs ReceiveMessage",
    "sqs DeleteMessage",
    "sqs DeleteMessageBatch",
    "sqs ChangeMessageVisibility",
    "sqs ChangeMessageVisibilityBatch",
)
FINISH_WITHIN = 900.0
TARGET_OVER_PREFORK = 5.0
TARGET_OVER_THREADS = 2.0
TARGET_RSS_MB = 100


def emulator_counts(emulators: Emulators, reset: bool = False) -> dict[str, int]:
    import urllib.request

    counts: dict[str, int] = {}
    for server in emulators.servers:
        request = urllib.request.Request(
            f"{server.url}/_emulator/calls", method="DELETE" if reset else "GET"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            for name, count in json.loads(answer.read()).items():
                counts[name] = counts.get(name, 0) + count
    return counts


def start_gateway(latency: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "HOST": LOOPBACK, "PORT": str(port)}
    env["PAYMENT_GATEWAY_LATENCY_MS"] = latency
    process = subprocess.Popen(
        [sys.executable, "-m", "ecommerce.gateway_sim"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return process, f"http://{LOOPBACK}:{port}"


async def results_queue(sqs: Any, sns: Any, topic: str, tag: str) -> tuple[str, str]:
    """A queue of the PaymentSucceeded published (how many charges are done); its URL and its
    subscription's ARN."""
    url = (await sqs.create_queue(QueueName=f"peer-results-{tag}"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"
    ]
    subscription = await sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps({"event_type": ["PaymentSucceeded"]}),
        },
        ReturnSubscriptionArn=True,
    )
    return str(url), str(subscription["SubscriptionArn"])


async def fill_ours(sqs: Any, count: int) -> None:
    url = (await sqs.get_queue_url(QueueName=physical("payments")))["QueueUrl"]
    price = Money(amount=1999, currency="USD")
    for start in range(0, count, 10):
        entries = []
        for number in range(start, min(count, start + 10)):
            order = f"ours-{uuid.uuid4().hex}-{number}"
            event = new_event(
                InventoryReserved(
                    order_id=order,
                    items=(LineItem(product_id="p-001", quantity=1, unit_price=price),),
                    total=price,
                    payment_token="tok_visa",
                ),
                producer="bench",
                correlation_id=order,
            )
            entries.append(
                {
                    "Id": str(number - start),
                    "MessageBody": event.model_dump_json(),
                    "MessageAttributes": {
                        "event_type": {"DataType": "String", "StringValue": "InventoryReserved"}
                    },
                }
            )
        await sqs.send_message_batch(QueueUrl=url, Entries=entries)


async def run_one(
    peer: str,
    argv: list[str],
    env: dict[str, str],
    emulators: Emulators,
    sqs: Any,
    results: str,
    count: int,
) -> dict[str, Any]:
    emulator_counts(emulators, reset=True)
    started = time.monotonic()
    log = Path(tempfile.gettempdir()) / f"bench-peer-{peer.split()[0]}-{os.getpid()}.log"
    with log.open("wb") as output:
        worker = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    first: float | None = None
    done = 0
    peak_rss = 0
    cpu = 0.0
    try:
        deadline = started + FINISH_WITHIN
        while True:
            done = await visible(sqs, results)
            now = time.monotonic()
            if done and first is None:
                first = now
            children = children_by_parent()
            peak_rss = max(peak_rss, tree_rss_bytes(worker.pid, children))
            cpu = tree_cpu_seconds(worker.pid, children)
            if done >= count:
                break
            if now > deadline or worker.returncode is not None:
                tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
                raise RuntimeError(f"{peer}: {done} of {count} charged, then it stopped:\n{tail}")
            await asyncio.sleep(0.2)
        finished = time.monotonic()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(worker.wait(), 30)
        except TimeoutError:
            os.killpg(worker.pid, signal.SIGKILL)
            await worker.wait()
    calls = emulator_counts(emulators)
    assert first is not None
    seconds = max(finished - first, 1e-3)
    sqs_calls = sum(calls.get(op, 0) for op in SQS_WORK)
    result = {
        "peer": peer,
        "messages": count,
        "seconds_first_to_last": round(seconds, 2),
        "messages_per_second": round((count - 1) / seconds, 1),
        "sqs_calls_per_message": round(sqs_calls / count, 3),
        "sqs_calls": {op: calls[op] for op in SQS_WORK if op in calls},
        "cpu_seconds_per_1000_messages": round(cpu / count * 1000, 2),
        "peak_rss_mb": round(peak_rss / 2**20, 1),
        "load_average": load_average(),
    }
    say(
        f"    {peer:<22} {result['messages_per_second']:7.1f} msg/s  "
        f"{result['sqs_calls_per_message']:.2f} SQS calls/msg  "
        f"{result['cpu_seconds_per_1000_messages']:.1f} CPU s/1000  "
        f"{result['peak_rss_mb']:.0f} MB"
    )
    return result


async def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    if not BENCH_PYTHON.exists():
        raise SystemExit(f"{BENCH_PYTHON} is missing: `make bench-env` creates it")
    started_load = load_average()
    tag = uuid.uuid4().hex[:8]
    os.environ["ECOMMERCE_PREFIX"] = f"peer{tag}"
    scenarios: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as folder:
        emulators = await start_emulators(Path(folder), count_calls=True)
        try:
            os.environ.update(
                aws_environment(
                    {},
                    emulators.main.url,
                    embedded=True,
                    dynamodb_endpoint=emulators.dynamodb.url,
                )
            )
            clients = AwsClients(os.environ["AWS_REGION"])
            try:
                topic = await provision(clients, progress=lambda _: None)
                sqs, sns = await clients.client("sqs"), await clients.client("sns")
                for label, latency in LATENCIES.items():
                    count = args.messages if latency == "0" else args.slow_messages
                    say(f"gateway latency {label}: {count} messages per worker")
                    gateway, gateway_url = start_gateway(latency)
                    try:
                        scenarios[label] = await run_scenario(
                            emulators, sqs, sns, topic, gateway_url, count, args
                        )
                    finally:
                        gateway.terminate()
                        gateway.wait(timeout=10)
            finally:
                await clients.close()
        finally:
            await emulators.stop()
    return {
        "benchmark": "peer",
        "date": now_iso(),
        "command": "python -m bench.peer " + " ".join(sys.argv[1:]),
        "settings": {
            "ours": "python -m workers.payments, WORKER_CONCURRENCY=20 (its default)",
            "celery_prefork": f"celery worker --pool prefork --concurrency {os.cpu_count()}",
            "celery_threads": "celery worker --pool threads --concurrency 20",
            "celery_transport": "kombu SQS, wait_time_seconds 20, visibility_timeout 60,"
            " acks_late, prefetch multiplier 4 (Celery's default)",
            "per_message": "conditional PutItem, gateway POST, UpdateItem, SNS Publish",
        },
        "machine": machine(("aiobotocore", "botocore", "moto", "aiohttp")),
        "celery_versions": _celery_versions(),
        "load_average_at_start": started_load,
        "scenarios": scenarios,
        "targets": verdicts(scenarios),
    }


async def run_scenario(
    emulators: Emulators,
    sqs: Any,
    sns: Any,
    topic: str,
    gateway_url: str,
    count: int,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    runs = []
    base = {**os.environ, "PYTHONUNBUFFERED": "1", "PAYMENT_GATEWAY_URL": gateway_url}
    ours_env = {**base, "ECOMMERCE_TOPIC_ARN": topic, "WORKER_CONCURRENCY": "20"}
    broker = f"sqs://testing:testing@{emulators.main.url.removeprefix('http://')}"
    celery_env = {
        **base,
        "PYTHONPATH": str(REPO),
        "PEER_BROKER_URL": broker,
        "PEER_TABLE": physical("payments"),
        "PEER_TOPIC_ARN": topic,
        "PEER_GATEWAY_URL": gateway_url,
    }
    celery = [str(BENCH_PYTHON), "-m", "celery", "-A", "bench.peer_celery", "worker"]
    quiet = ["--loglevel", "WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip"]
    peers = [
        ("ours (asyncio, 20)", [sys.executable, "-m", "workers.payments"], ours_env),
        (
            f"celery prefork ({os.cpu_count()})",
            [*celery, "--pool", "prefork", "--concurrency", str(os.cpu_count()), *quiet],
            celery_env,
        ),
        (
            "celery threads (20)",
            [*celery, "--pool", "threads", "--concurrency", "20", *quiet],
            celery_env,
        ),
    ]
    for peer, argv, env in peers:
        results, subscription = await results_queue(sqs, sns, topic, uuid.uuid4().hex[:8])
        if peer.startswith("ours"):
            await fill_ours(sqs, count)
        else:
            enqueue = await asyncio.create_subprocess_exec(
                str(BENCH_PYTHON),
                "-m",
                "bench.peer_celery",
                "enqueue",
                str(count),
                env=celery_env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
            )
            if await enqueue.wait() != 0:
                raise RuntimeError("enqueueing the Celery tasks failed")
        runs.append(await run_one(peer, argv, env, emulators, sqs, results, count))
        await sns.unsubscribe(SubscriptionArn=subscription)
        await sqs.delete_queue(QueueUrl=results)
    return runs


def _celery_versions() -> dict[str, str]:
    found = subprocess.run(
        [
            str(BENCH_PYTHON),
            "-c",
            "import celery, kombu, json; print(json.dumps({'celery': celery.__version__,"
            " 'kombu': kombu.__version__}))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    versions: dict[str, str] = json.loads(found.stdout) if found.returncode == 0 else {}
    return versions


def verdicts(scenarios: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    slow = {run["peer"].split(" (")[0]: run for run in scenarios["300 ms ± 100"]}
    ours = slow["ours"]
    prefork = next(run for name, run in slow.items() if name == "celery prefork")
    threads = next(run for name, run in slow.items() if name == "celery threads")
    over_prefork = ours["messages_per_second"] / prefork["messages_per_second"]
    over_threads = ours["messages_per_second"] / threads["messages_per_second"]
    return {
        "over_celery_prefork_at_300ms": round(over_prefork, 2),
        "over_celery_prefork_met": over_prefork >= TARGET_OVER_PREFORK,
        "over_celery_threads_at_300ms": round(over_threads, 2),
        "over_celery_threads_met": over_threads >= TARGET_OVER_THREADS,
        "ours_peak_rss_mb": max(
            run["peak_rss_mb"]
            for runs in scenarios.values()
            for run in runs
            if run["peer"].startswith("ours")
        ),
        "rss_met": all(
            run["peak_rss_mb"] < TARGET_RSS_MB
            for runs in scenarios.values()
            for run in runs
            if run["peer"].startswith("ours")
        ),
    }


def render(result: dict[str, Any]) -> str:
    lines = [f"payments worker vs Celery; load at start {result['load_average_at_start']}", ""]
    for label, runs in result["scenarios"].items():
        lines.append(f"gateway {label}:")
        for run in runs:
            lines.append(
                f"  {run['peer']:<22} {run['messages_per_second']:7.1f} msg/s  "
                f"{run['sqs_calls_per_message']:.2f} SQS calls/msg  "
                f"{run['cpu_seconds_per_1000_messages']:6.1f} CPU s/1000  "
                f"{run['peak_rss_mb']:5.0f} MB"
            )
    v = result["targets"]
    lines += [
        "",
        f"at 300 ms: {v['over_celery_prefork_at_300ms']}x Celery prefork (target >= "
        f"{TARGET_OVER_PREFORK}: {'met' if v['over_celery_prefork_met'] else 'MISSED'}), "
        f"{v['over_celery_threads_at_300ms']}x Celery threads (target >= {TARGET_OVER_THREADS}: "
        f"{'met' if v['over_celery_threads_met'] else 'MISSED'}); ours at most "
        f"{v['ours_peak_rss_mb']} MB (target < {TARGET_RSS_MB}: "
        f"{'met' if v['rss_met'] else 'MISSED'})",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--messages", type=int, default=1000, help="per worker, gateway at 0 ms")
    parser.add_argument(
        "--slow-messages", type=int, default=400, help="per worker, gateway at 300 ms"
    )
    parser.add_argument("--quick", action="store_true", help="300 and 100 messages")
    output_options(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.slow_messages = 300, 100
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(run_bench(args))
    return publish("peer", result, render(result), args)


if __name__ == "__main__":
    sys.exit(main())
