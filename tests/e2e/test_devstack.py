"""`ecommerce dev` as a user runs it: what it reports, the edge, restarts, and a clean stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis
from devstack_runner import REPO, RunningStack, boot_stack, http_get, stop_stack

from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.ports import free_port
from ecommerce.devstack.process_groups import pid_alive
from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.edge_routes import EDGE_ROUTES
from ecommerce.gateway_routes import route_for
from ecommerce.platform.aws import AwsClients

pytestmark = pytest.mark.e2e


def children(stack: RunningStack) -> list[dict[str, Any]]:
    return [p for p in stack.read()["processes"] if p["kind"] != "server"]


def test_stack_json_describes_every_process_and_endpoint(
    stack: RunningStack, stack_environ: dict[str, str]
) -> None:
    document = stack.read()
    assert set(document) == {"processes", "endpoints"}
    assert set(document["endpoints"]) == {
        "edge",
        "gateway",
        "aws",
        "dynamodb",
        "database",
        "redis",
    }
    assert document["endpoints"]["edge"] == stack.edge
    names = [p["name"] for p in document["processes"]]
    assert len(names) == len(set(names))
    embedded = {
        name
        for name, variable in (
            ("postgres", "DATABASE_URL"),
            ("redis", "REDIS_URL"),
            ("moto", "AWS_ENDPOINT_URL"),
            ("moto-dynamodb", "AWS_ENDPOINT_URL"),
        )
        if not stack_environ.get(variable)
    }
    assert embedded <= set(names)
    for process in document["processes"]:
        assert isinstance(process["pid"], int) and pid_alive(process["pid"]), process
        assert Path(process["log"]).is_file(), process
        assert Path(process["log"]).parent == stack.state_dir / "logs"
        if process["kind"] in ("handler", "gateway"):
            assert process["url"].startswith("http://127.0.0.1:"), process
        if process["kind"] == "worker":
            assert "url" not in process
    assert any(p["kind"] == "handler" for p in document["processes"]), "no handler runs"


def test_the_edge_routes_each_prefix_to_its_running_service(stack: RunningStack) -> None:
    running = {p["name"] for p in children(stack) if p["kind"] == "handler"}
    for prefix, service in EDGE_ROUTES:
        probe = prefix if prefix == "/" else f"{prefix}/e2e-probe"  # "/" is one page
        status, headers, body = http_get(f"{stack.edge}{probe}")
        if route_for("GET", probe).authorized:
            # The gateway's authorizer answers before any service is chosen.
            assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), prefix
        elif service in running:
            assert headers.get("X-Edge-Upstream") == service, (prefix, status, body)
            assert status < 500, (prefix, status, body)
        else:
            assert status == 503, (prefix, status, body)
            assert headers["Content-Type"].startswith("application/problem+json")


def test_the_edge_answers_a_404_problem_for_an_unknown_path(stack: RunningStack) -> None:
    status, headers, body = http_get(f"{stack.edge}/no-such-prefix")
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(body)["status"] == 404


def test_the_stack_is_seeded_with_a_catalog_and_an_admin(
    stack: RunningStack, stack_environ: dict[str, str]
) -> None:
    status, _, body = http_get(f"{stack.edge}/products")
    assert status == 200, body
    assert json.loads(body)["items"], "the demo catalog is empty"
    email = stack_environ.get("ECOMMERCE_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    password = stack_environ.get("ECOMMERCE_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    request = urllib.request.Request(
        f"{stack.edge}/auth/login",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["access_token"]


async def test_the_endpoints_answer_and_hold_the_provisioned_state(
    stack: RunningStack, stack_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = stack.read()["endpoints"]
    database = stack_environ.get("DATABASE_URL") or endpoints["database"]
    connection = await asyncpg.connect(database)
    try:
        assert await connection.fetchval("SELECT to_regclass('outbox') IS NOT NULL")
    finally:
        await connection.close()
    client = aioredis.Redis.from_url(stack_environ.get("REDIS_URL") or endpoints["redis"])
    try:
        assert await client.ping()
    finally:
        await client.aclose()
    embedded = not stack_environ.get("AWS_ENDPOINT_URL")
    for key, value in aws_environment(stack_environ, endpoints["aws"], embedded=embedded).items():
        monkeypatch.setenv(key, value)
    prefix = stack_environ.get("ECOMMERCE_PREFIX", "ecommerce")
    clients = AwsClients("us-east-1")
    try:
        sqs = await clients.client("sqs")
        urls = (await sqs.list_queues(QueueNamePrefix=f"{prefix}-"))["QueueUrls"]
        assert any(url.endswith(f"/{prefix}-orders-dlq") for url in urls)
    finally:
        await clients.close()


def test_a_killed_worker_is_restarted_with_a_new_pid(stack: RunningStack) -> None:
    # The outbox relay: a worker that holds no SQS long poll. Killing a queue consumer would
    # leave its poll open at the emulator, which hides the next message for a visibility
    # timeout and slows the end-to-end tests that share this stack.
    candidates = [p for p in children(stack) if p["name"] == "outbox-relay"] or [
        p for p in children(stack) if p["kind"] == "worker"
    ]
    assert candidates, "nothing is supervised"
    victim = candidates[0]
    os.kill(victim["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        now = {p["name"]: p for p in children(stack)}[victim["name"]]
        if now["pid"] != victim["pid"] and pid_alive(now["pid"]):
            break
        assert time.monotonic() < deadline, f"{victim['name']} was not restarted"
        time.sleep(0.2)
    assert now["restarts"] == victim["restarts"] + 1
    assert not pid_alive(victim["pid"])
    assert f"{victim['name']} was killed by SIGKILL" in stack.output.read_text()


def test_a_second_stack_on_the_same_state_refuses_to_start(
    stack: RunningStack, stack_environ: dict[str, str]
) -> None:
    env = dict(stack_environ, ECOMMERCE_STATE_DIR=str(stack.state_dir))
    result = subprocess.run(
        [sys.executable, "-m", "ecommerce.cli", "dev", "--port", str(free_port())],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert b"another `ecommerce dev`" in result.stdout
    assert all(pid_alive(pid) for pid in stack.pids().values())


def test_sigterm_stops_a_stack_and_leaves_nothing_running(
    separate_stack_environ: dict[str, str], stack_dir: Path
) -> None:
    second = boot_stack(separate_stack_environ, stack_dir / "state")
    assert second.stack["processes"]
    stop_stack(second, signal.SIGTERM)
    assert "stopped; no process of the stack is left" in second.output.read_text()


def test_reset_without_start_only_wipes_the_state(
    stack_environ: dict[str, str], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    (state / "logs").mkdir(parents=True)
    (state / "logs" / "old.log").write_text("old")
    env = dict(stack_environ, ECOMMERCE_STATE_DIR=str(state))
    result = subprocess.run(
        [sys.executable, "-m", "ecommerce.cli", "dev", "--reset", "--no-start"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert not state.exists()
    assert b"wiped" in result.stdout


def test_a_killed_runs_leftovers_are_ended_by_the_next_run(
    separate_stack_environ: dict[str, str], stack_dir: Path
) -> None:
    state = stack_dir / "state"
    crashed = boot_stack(separate_stack_environ, state)
    orphans = crashed.pids()
    os.kill(crashed.process.pid, signal.SIGKILL)  # the supervisor only: its children live on
    crashed.process.wait(timeout=10)
    assert any(pid_alive(pid) for pid in orphans.values())
    assert (state / "owned.json").exists()

    second = boot_stack(separate_stack_environ, state)
    try:
        assert "left running by a previous run" in second.output.read_text()
        assert not [name for name, pid in orphans.items() if pid_alive(pid)]
        assert set(second.pids()) >= set(orphans)
    finally:
        stop_stack(second, signal.SIGINT)
