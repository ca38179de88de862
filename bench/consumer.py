"""The SQS consumer runtime against the raw floor, on the local emulator (issue 3, "Speed").

    python -m bench.consumer [--messages 2000] [--runs 3] [--concurrency 20] [--profile]

Each run fills one queue with N messages (SendMessageBatch) and drains it, alternately:

- floor: a tight loop of ReceiveMessage (10, the runtime's parameters) + DeleteMessageBatch, no
  runtime at all: the most this endpoint gives one poller;
- runtime: `ecommerce.platform.messaging.consumer.Consumer` with a handler that does no work,
  timed from `run()` until every message is handled and its delete flushed (`stop()` returned).

Reported per phase: messages per second, SQS API calls and HTTP requests per message (counted
by botocore event hooks `before-call.sqs` / `before-send.sqs` on the measuring client, so
every call the code makes is seen, whoever makes it), this process's CPU seconds per 1,000
messages, and the emulator's (when this benchmark started it). The floor and the runtime
alternate on the same queue in the same process; medians over the runs are compared with the
issue's targets: runtime at least 0.8 of the floor, ≤ 0.35 SQS calls per message.

Without AWS_ENDPOINT_URL a moto server is started for the run (and stopped after); with it, that
endpoint is used (LocalStack, say). Logs the runtime writes (JSON lines, one per message) are
rendered as in production and thrown away (/dev/null), so their cost counts but does not scroll.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, Literal

import structlog

from bench.common import machine, say
from ecommerce.devstack.environment import aws_environment, aws_variables_to_drop
from ecommerce.devstack.moto_server import start_moto
from ecommerce.devstack.servers import EmbeddedServer
from ecommerce.events import OrderPlaced, new_event
from ecommerce.events.catalog import LineItem, Money
from ecommerce.platform.aws import LONG_POLL_SECONDS, AwsClients
from ecommerce.platform.logging import configure_logging
from ecommerce.platform.messaging.consumer import Consumer, ConsumerOptions, QueueConfig
from ecommerce.platform.messaging.message import Message

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
DEFAULT_MESSAGES = 2000
DEFAULT_MESSAGES_MOTO = 300
"""moto's ReceiveMessage costs CPU in proportion to the queue's depth (it recomputes the queue's
attributes for every message it hands out): 2000 deep, one run of each phase takes ~15 min."""
TARGET_RATIO = 0.8
TARGET_CALLS_PER_MESSAGE = 0.35
VISIBILITY_SECONDS = 30
MAX_RECEIVES = 5
Kind = Literal["floor", "runtime"]


# --- counting ------------------------------------------------------------------------------


class CallCounter:
    """Counts every SQS API call (and HTTP attempt) a client makes, by operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.requests = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.sqs", self._before_call)
        client.meta.events.register("before-send.sqs", self._before_send)

    def reset(self) -> None:
        self.calls.clear()
        self.requests = 0

    def _before_call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def _before_send(self, **_: Any) -> None:
        self.requests += 1


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of another process (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Measurement:
    kind: Kind
    run: int
    messages: int
    seconds: float
    cpu_seconds: float
    calls: dict[str, int]
    http_requests: int
    emulator_cpu_seconds: float | None
    concurrency: int | None = None

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds

    @property
    def calls_per_message(self) -> float:
        return sum(self.calls.values()) / self.messages

    @property
    def requests_per_message(self) -> float:
        return self.http_requests / self.messages

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu_seconds / self.messages * 1000

    @property
    def emulator_cpu_per_1000(self) -> float | None:
        if self.emulator_cpu_seconds is None:
            return None
        return self.emulator_cpu_seconds / self.messages * 1000

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document.update(
            messages_per_second=round(self.per_second, 1),
            sqs_calls_per_message=round(self.calls_per_message, 4),
            http_requests_per_message=round(self.requests_per_message, 4),
            cpu_seconds_per_1000_messages=round(self.cpu_per_1000, 4),
            emulator_cpu_seconds_per_1000_messages=(
                round(self.emulator_cpu_per_1000, 4)
                if self.emulator_cpu_per_1000 is not None
                else None
            ),
        )
        return document


@dataclass
class Bench:
    sqs: Any
    """The measuring client: only the measured phases use it, so its counts are theirs."""
    filler: Any
    counter: CallCounter
    queue: QueueConfig
    emulator_pid: int | None
    profile: cProfile.Profile | None = None
    results: list[Measurement] = field(default_factory=list)
    handler_seconds: float = 0.0
    """The mean of what the runtime's handler waits (exponentially distributed, no CPU) per
    message; 0, no work, is the issue's benchmark."""
    quiet_after: float = 0.0
    """When the long poll the runtime abandoned on stop has surely ended (monotonic time)."""

    async def settle(self) -> None:
        """Wait out the runtime's abandoned long poll before filling the queue again.

        `Consumer.stop()` cancels the poller in the middle of a 20 s ReceiveMessage. The client
        forgets the request, but the endpoint does not: it keeps the poll open and hands the
        next messages sent to it (up to 10) to nobody, hidden for the visibility timeout. Left
        alone, the next phase would wait 30 s for those to reappear.
        """
        delay = self.quiet_after - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    @contextlib.contextmanager
    def measuring(self) -> Iterator[dict[str, float]]:
        """Wall and CPU time of the block, and the emulator's CPU time."""
        self.counter.reset()
        found: dict[str, float] = {}
        emulator = process_cpu_seconds(self.emulator_pid) if self.emulator_pid else None
        cpu, wall = time.process_time(), time.perf_counter()
        yield found
        found["seconds"] = time.perf_counter() - wall
        found["cpu"] = time.process_time() - cpu
        if emulator is not None and self.emulator_pid:
            after = process_cpu_seconds(self.emulator_pid)
            if after is not None:
                found["emulator"] = after - emulator


# --- the phases ----------------------------------------------------------------------------


def event_body(number: int) -> str:
    """A realistic event: an OrderPlaced envelope of a few hundred bytes."""
    order = f"o-bench-{number}"
    price = Money(amount=1999, currency="USD")
    payload = OrderPlaced(
        order_id=order,
        customer_id="u-bench",
        items=(LineItem(product_id="p-001", quantity=1, unit_price=price),),
        total=price,
        payment_token="tok_visa",
    )
    return new_event(payload, producer="bench", correlation_id=order).model_dump_json()


async def fill(sqs: Any, url: str, count: int) -> None:
    """Put `count` messages in the queue, 10 a call, 8 calls at a time; wait until visible."""
    body = event_body(0)
    attributes = {"event_type": {"DataType": "String", "StringValue": "OrderPlaced"}}
    gate = asyncio.Semaphore(8)

    async def send(start: int) -> None:
        entries = [
            {"Id": str(i), "MessageBody": body, "MessageAttributes": attributes}
            for i in range(min(10, count - start))
        ]
        async with gate:
            response = await sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"fill failed: {response['Failed'][:1]}")

    await asyncio.gather(*(send(start) for start in range(0, count, 10)))
    deadline = time.monotonic() + 60
    while (depth := await visible(sqs, url)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {depth} of {count} messages became visible")
        await asyncio.sleep(0.1)


async def visible(sqs: Any, url: str) -> int:
    attributes = (
        await sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


async def run_floor(bench: Bench, count: int, run: int) -> Measurement:
    """Receive 10 + DeleteMessageBatch in a tight loop: no runtime at all."""
    sqs, url = bench.sqs, bench.queue.url
    done = 0
    with bench.measuring() as found:
        while done < count:
            response = await sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=LONG_POLL_SECONDS,
                VisibilityTimeout=VISIBILITY_SECONDS,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                continue
            deleted = await sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": raw["ReceiptHandle"]}
                    for i, raw in enumerate(messages)
                ],
            )
            if deleted.get("Failed"):
                raise RuntimeError(f"floor delete failed: {deleted['Failed'][:1]}")
            done += len(messages)
    return bench_result(bench, "floor", run, done, found)


async def run_runtime(bench: Bench, count: int, run: int, concurrency: int) -> Measurement:
    """The consumer runtime with a handler that does no work, until all are handled+deleted."""
    handled = 0
    all_handled = asyncio.Event()

    pause = bench.handler_seconds
    draw = random.Random(run).expovariate

    async def handler(_: Message) -> None:
        nonlocal handled
        if pause:
            await asyncio.sleep(draw(1 / pause))
        handled += 1
        if handled >= count:
            all_handled.set()

    options = ConsumerOptions(concurrency=concurrency)
    consumer = Consumer(bench.sqs, bench.queue, handler, options)
    with (
        open(os.devnull, "w") as sink,  # noqa: ASYNC230 (opening /dev/null does not block)
        contextlib.redirect_stdout(sink),  # the EMF line written on stop
        bench.measuring() as found,
        profiling(bench.profile),
    ):
        task = asyncio.create_task(consumer.run())
        await all_handled.wait()
        consumer.stop()
        await task
    bench.quiet_after = time.monotonic() + options.wait_seconds + 1
    return bench_result(bench, "runtime", run, handled, found, concurrency)


@contextlib.contextmanager
def profiling(profile: cProfile.Profile | None) -> Iterator[None]:
    if profile is None:
        yield
        return
    profile.enable()
    try:
        yield
    finally:
        profile.disable()


def bench_result(
    bench: Bench,
    kind: Kind,
    run: int,
    messages: int,
    found: dict[str, float],
    concurrency: int | None = None,
) -> Measurement:
    measurement = Measurement(
        kind=kind,
        run=run,
        messages=messages,
        seconds=found["seconds"],
        cpu_seconds=found["cpu"],
        calls=dict(sorted(bench.counter.calls.items())),
        http_requests=bench.counter.requests,
        emulator_cpu_seconds=found.get("emulator"),
        concurrency=concurrency,
    )
    bench.results.append(measurement)
    return measurement


# --- set-up --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def endpoint() -> AsyncIterator[tuple[str, EmbeddedServer | None]]:
    """AWS_ENDPOINT_URL if set, else a moto server of our own for the run."""
    external = os.environ.get("AWS_ENDPOINT_URL", "").strip()
    if external:
        yield external, None
        return
    with tempfile.TemporaryDirectory(prefix="bench-moto-") as directory:
        server = await start_moto(Path(directory) / "moto.log")
        try:
            for name in aws_variables_to_drop(embedded=True):
                os.environ.pop(name, None)
            os.environ.update(aws_environment(os.environ, server.url, embedded=True))
            yield server.url, server
        finally:
            await server.stop()


async def make_queue(sqs: Any) -> QueueConfig:
    name = f"bench-consumer-{uuid.uuid4().hex[:8]}"
    dlq_url = (await sqs.create_queue(QueueName=f"{name}-dlq"))["QueueUrl"]
    dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    url = (
        await sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(VISIBILITY_SECONDS),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
                ),
            },
        )
    )["QueueUrl"]
    return QueueConfig(name, url, dlq_url, VISIBILITY_SECONDS, MAX_RECEIVES)


def quiet_logs() -> None:
    """Production logging (JSON lines at INFO), written to /dev/null."""
    configure_logging("bench")
    sink: BinaryIO = open(os.devnull, "wb")  # noqa: SIM115 (lives as long as the process)
    structlog.configure(logger_factory=structlog.BytesLoggerFactory(file=sink))


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    quiet_logs()
    async with endpoint() as (url, server):
        region = os.environ.get("AWS_REGION") or "us-east-1"
        filler_clients = AwsClients(region)
        measured_clients = AwsClients(region, pool_size=max(args.concurrency) + 10)
        try:
            filler = await filler_clients.client("sqs")
            sqs = await measured_clients.client("sqs")
            counter = CallCounter()
            counter.attach(sqs)
            queue = await make_queue(filler)
            bench = Bench(sqs, filler, counter, queue, server.pid if server else None)
            bench.handler_seconds = args.handler_ms / 1000
            say(f"endpoint {url}{' (moto, started for this run)' if server else ''}")
            say(f"queue {queue.name}: {args.messages} messages a run, {args.runs} run(s)")
            # Warm-up: connections, imports, the emulator's first-request paths.
            await fill(filler, queue.url, 200)
            await run_floor(bench, 200, 0)
            await fill(filler, queue.url, 200)
            await run_runtime(bench, 200, 0, args.concurrency[0])
            bench.results.clear()
            await bench.settle()
            for run in range(1, args.runs + 1):
                order: list[Kind] = ["floor", "runtime"] if run % 2 else ["runtime", "floor"]
                for kind in order:
                    for concurrency in args.concurrency if kind == "runtime" else [0]:
                        await bench.settle()
                        await fill(filler, queue.url, args.messages)
                        if kind == "runtime" and args.profile and run == args.runs:
                            bench.profile = cProfile.Profile()
                        if kind == "floor":
                            done = await run_floor(bench, args.messages, run)
                        else:
                            done = await run_runtime(bench, args.messages, run, concurrency)
                        left = await visible(filler, queue.url)
                        if left:
                            raise RuntimeError(f"{kind} left {left} message(s) in the queue")
                        say(progress_line(done))
            await filler.delete_queue(QueueUrl=queue.url)
            await filler.delete_queue(QueueUrl=queue.dlq_url)
        finally:
            await filler_clients.close()
            await measured_clients.close()
    if bench.profile is not None:
        text = io.StringIO()
        stats = pstats.Stats(bench.profile, stream=text).sort_stats("cumulative")
        stats.print_stats(40)
        say(text.getvalue())
        profile_path = Path(tempfile.gettempdir()) / "bench-consumer.pstats"
        bench.profile.dump_stats(profile_path)
        say(f"profile written to {profile_path}")
    return report(args, url, server is not None, bench.results)


def progress_line(measurement: Measurement) -> str:
    label: str = measurement.kind
    if measurement.concurrency:
        label += f" (concurrency {measurement.concurrency})"
    return (
        f"  run {measurement.run} {label:<27} {measurement.per_second:8.0f} msg/s  "
        f"{measurement.calls_per_message:.3f} calls/msg  "
        f"{measurement.cpu_per_1000:.3f} CPU s/1000"
    )


# --- the report ----------------------------------------------------------------------------


def summarize(results: Sequence[Measurement]) -> dict[str, Any]:
    def median(values: Sequence[float]) -> float:
        return statistics.median(values)

    emulator = [m.emulator_cpu_per_1000 for m in results if m.emulator_cpu_per_1000 is not None]
    calls: Counter[str] = Counter()
    for measurement in results:
        calls.update(measurement.calls)
    return {
        "runs": len(results),
        "messages_per_second": round(median([m.per_second for m in results]), 1),
        "messages_per_second_min": round(min(m.per_second for m in results), 1),
        "messages_per_second_max": round(max(m.per_second for m in results), 1),
        "sqs_calls_per_message": round(median([m.calls_per_message for m in results]), 4),
        "http_requests_per_message": round(median([m.requests_per_message for m in results]), 4),
        "cpu_seconds_per_1000_messages": round(median([m.cpu_per_1000 for m in results]), 4),
        "emulator_cpu_seconds_per_1000_messages": (
            round(median(emulator), 4) if emulator else None
        ),
        "calls_by_operation_per_run": {
            name: round(count / len(results), 1) for name, count in sorted(calls.items())
        },
    }


def report(
    args: argparse.Namespace, url: str, own_moto: bool, results: Sequence[Measurement]
) -> dict[str, Any]:
    floor = summarize([m for m in results if m.kind == "floor"])
    runtimes = {
        concurrency: summarize(
            [m for m in results if m.kind == "runtime" and m.concurrency == concurrency]
        )
        for concurrency in args.concurrency
    }
    verdicts = {}
    for concurrency, runtime in runtimes.items():
        ratio = runtime["messages_per_second"] / floor["messages_per_second"]
        verdicts[str(concurrency)] = {
            "ratio_to_floor": round(ratio, 3),
            "ratio_target": TARGET_RATIO,
            # With a handler that waits, the runtime is bound by concurrency / latency, not
            # by SQS: the ratio is then no test of the runtime's overhead.
            "ratio_met": ratio >= TARGET_RATIO if not args.handler_ms else None,
            "sqs_calls_per_message": runtime["sqs_calls_per_message"],
            "calls_target": TARGET_CALLS_PER_MESSAGE,
            "calls_met": runtime["sqs_calls_per_message"] <= TARGET_CALLS_PER_MESSAGE,
        }
    return {
        "benchmark": "consumer",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.consumer " + " ".join(sys.argv[1:]),
        "settings": {
            "messages_per_run": args.messages,
            "runs": args.runs,
            "concurrency": args.concurrency,
            "handler": (
                f"awaits {args.handler_ms:g} ms on average (exponential)"
                if args.handler_ms
                else "no work"
            ),
            "receive": "10 messages, WaitTimeSeconds 20, all attributes (runtime and floor)",
            "visibility_timeout": VISIBILITY_SECONDS,
        },
        "endpoint": {
            "url": url,
            "kind": (
                f"moto {metadata.version('moto')} server started for this run"
                if own_moto
                else "AWS_ENDPOINT_URL"
            ),
        },
        "machine": machine(),
        "floor": floor,
        "runtime": {str(c): summary for c, summary in runtimes.items()},
        "targets": verdicts,
        "measurements": [m.as_dict() for m in results],
    }


def render(result: dict[str, Any]) -> str:
    floor = result["floor"]
    rows: list[tuple[str, ...]] = [
        (
            "",
            "msg/s",
            "min-max",
            "SQS calls/msg",
            "HTTP req/msg",
            "CPU s/1000 msg",
            "emulator CPU s/1000",
        )
    ]

    def row(label: str, summary: dict[str, Any]) -> tuple[str, ...]:
        emulator = summary["emulator_cpu_seconds_per_1000_messages"]
        return (
            label,
            f"{summary['messages_per_second']:.0f}",
            f"{summary['messages_per_second_min']:.0f}-{summary['messages_per_second_max']:.0f}",
            f"{summary['sqs_calls_per_message']:.3f}",
            f"{summary['http_requests_per_message']:.3f}",
            f"{summary['cpu_seconds_per_1000_messages']:.3f}",
            f"{emulator:.3f}" if emulator is not None else "-",
        )

    rows.append(row("floor (receive-10 + delete-batch)", floor))
    for concurrency, summary in result["runtime"].items():
        rows.append(row(f"runtime (concurrency {concurrency})", summary))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    settings = result["settings"]
    machine_info = result["machine"]
    header = [
        f"consumer benchmark: {settings['messages_per_run']} messages a run, "
        f"{settings['runs']} run(s), medians; {result['endpoint']['kind']} "
        f"({result['endpoint']['url']}), "
        f"{machine_info['cpus']} CPU(s) {machine_info['cpu_model']}, "
        f"load {' '.join(str(v) for v in machine_info['load_average_1_5_15'])}",
        "",
    ]
    footer = [""]
    for concurrency, verdict in result["targets"].items():
        calls = result["runtime"][concurrency]["calls_by_operation_per_run"]
        met = verdict["ratio_met"]
        ratio_verdict = "n/a, the handler waits" if met is None else "met" if met else "MISSED"
        footer.append(
            f"concurrency {concurrency}: runtime/floor {verdict['ratio_to_floor']:.2f} "
            f"(target >= {TARGET_RATIO}: {ratio_verdict}); "
            f"{verdict['sqs_calls_per_message']:.3f} SQS calls/msg "
            f"(target <= {TARGET_CALLS_PER_MESSAGE}: {'met' if verdict['calls_met'] else 'MISSED'})"
        )
        footer.append(
            "  calls a run: " + ", ".join(f"{name} {count:g}" for name, count in calls.items())
        )
    emulator = floor["emulator_cpu_seconds_per_1000_messages"]
    if emulator is not None:
        footer.append(
            f"emulator-bound: the emulator spends {emulator:.1f} CPU s per 1000 messages, this "
            f"process {floor['cpu_seconds_per_1000_messages']:.2f} (see bench/README.md)"
        )
    footer.append(
        "  floor calls a run: "
        + ", ".join(f"{n} {c:g}" for n, c in floor["calls_by_operation_per_run"].items())
    )
    return "\n".join(header + lines + footer)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.consumer", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--messages",
        type=int,
        default=None,
        help=f"messages a run (default {DEFAULT_MESSAGES} with AWS_ENDPOINT_URL, "
        f"{DEFAULT_MESSAGES_MOTO} on the moto this starts: its receive costs grow with depth)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each phase (default 3)")
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[20],
        help="the runtime's concurrency, or a comma-separated list (default 20, the workers')",
    )
    parser.add_argument(
        "--handler-ms",
        type=float,
        default=0.0,
        help="the runtime's handler awaits this long on average (exponential) per message "
        "(default 0: no work); shows the call rate when every slot is busy",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the last runtime run; top functions to stderr, stats to $TMPDIR",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON result file (default bench/results/consumer-<date>.json)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, write no JSON")
    args = parser.parse_args(argv)
    if args.messages is None:
        external = os.environ.get("AWS_ENDPOINT_URL", "").strip()
        args.messages = DEFAULT_MESSAGES if external else DEFAULT_MESSAGES_MOTO
    if args.messages < 10 or args.runs < 1 or min(args.concurrency) < 1:
        parser.error("--messages >= 10, --runs >= 1, --concurrency >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(main_async(args))
    print(render(result))
    if not args.no_write:
        path = args.output or RESULTS / f"consumer-{datetime.now(UTC):%Y-%m-%d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nresult written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
