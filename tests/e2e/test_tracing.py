"""One order is one trace: the HTTP request and all three workers, readable as a tree, with
either tracing back end (`ECOMMERCE_TRACING`): the X-Ray SDK through the local X-Ray daemon
stand-in, or OpenTelemetry through the stand-in's OTLP receiver. The OpenTelemetry run boots a
second stack of its own, on the embedded servers only (on external emulators it would need a
second set of resources)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from devstack_runner import REPO, RunningStack, boot_stack, stop_stack
from shoppers import new_customer

from ecommerce.ops.traces import order_trace_ids, read_segments

pytestmark = pytest.mark.e2e

EXPECTED = {"orders", "inventory-worker", "payments-worker", "orders-worker"}
RECORDED_BY = {"xray": "X-Ray for Python", "otel": "opentelemetry for python"}


@pytest.fixture(scope="module")
def otel_stack(stack_environ: dict[str, str], server_dir: Path) -> Iterator[RunningStack]:
    if stack_environ.get("AWS_ENDPOINT_URL", "").strip() or stack_environ.get("DATABASE_URL"):
        pytest.skip("the OpenTelemetry stack runs on the embedded servers only")
    (server_dir / "otel-stack").mkdir()
    env = {**stack_environ, "ECOMMERCE_TRACING": "otel"}
    running = boot_stack(env, server_dir / "otel-stack" / "state")
    yield running
    stop_stack(running, signal.SIGINT)


@pytest.fixture(params=["xray", "otel"])
def traced_stack(request: pytest.FixtureRequest) -> tuple[str, RunningStack]:
    name = "stack" if request.param == "xray" else "otel_stack"
    found: RunningStack = request.getfixturevalue(name)
    return request.param, found


async def test_one_trace_joins_the_request_and_every_worker(
    traced_stack: tuple[str, RunningStack], session: aiohttp.ClientSession
) -> None:
    backend, stack = traced_stack
    customer = await new_customer(session, stack.edge)
    _, _, order = await customer.place([{"product_id": "p-019", "quantity": 1}], "tok_visa")
    assert (await customer.settled(order["id"]))["status"] == "CONFIRMED"
    segments_file = stack.state_dir / "traces" / "segments.jsonl"
    names: set[str] = set()
    trace_ids: set[str] = set()
    for _ in range(50):  # segments reach the stand-in within a moment; bounded, 10 s
        documents = read_segments(segments_file)
        trace_ids = order_trace_ids(documents, order["id"])
        names = {d["name"] for d in documents if d.get("trace_id") in trace_ids}
        if names >= EXPECTED:
            break
        await asyncio.sleep(0.2)
    assert len(trace_ids) == 1, trace_ids
    assert names >= EXPECTED
    segments = [
        d for d in documents if d.get("trace_id") in trace_ids and d.get("type") != "subsegment"
    ]
    recorders = {d.get("aws", {}).get("xray", {}).get("sdk") for d in segments}
    assert recorders == {RECORDED_BY[backend]}, segments

    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecommerce.cli",
        "trace",
        order["id"],
        env={**os.environ, "ECOMMERCE_STATE_DIR": str(stack.state_dir)},
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await asyncio.wait_for(command.communicate(), 30)
    assert command.returncode == 0
    shown = output.decode()
    lines = shown.splitlines()
    assert lines[0] == f"trace {trace_ids.pop()} (order {order['id']})"
    assert lines[1].split() == ["start", "took", "outcome", "span"]
    spans = lines[2:-1]
    assert all(" ms " in line for line in spans)
    for name in EXPECTED:
        assert any(name in line for line in spans), shown
    assert any(line.split()[-1] == "outbox-relay" for line in spans), shown
    assert any("payment-gateway POST /v1/payment_intents" in line for line in spans), shown
    assert not any(line.split()[-1] == "127.0.0.1" for line in spans), shown
    shape = re.compile(r"^\+\s*[\d.]+ ms\s+([\d.]+ ms|open)\s+(ok|error|fault)\s+\S")
    assert all(shape.match(line) for line in spans), shown
    assert lines[-1].startswith("outcome: ok; error = ")
