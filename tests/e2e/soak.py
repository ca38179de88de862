"""The chaos soak: orders from concurrent customers while a fault schedule runs, then the audit.

    python tests/e2e/soak.py --orders 2000          (`make soak`: boots a stack of its own)

Customers place orders (about 10% declined cards, 10% cancelled right after, 10% sent twice
with the same Idempotency-Key, and products with little stock so that some run out) while the
faults repeat until the last order is placed (and each kind has come at least once): SIGKILL of
a worker, the outbox relay or a frontend (the supervisor starts it again), PostgreSQL
restarted (stopped, then started again by the stack), PostgreSQL paused then every connection
cut, the AWS emulators paused for 10 s, and restarted (stopped, then started again from their
state), 10% of the events published twice (duplicate deliveries to every queue), 5% of the
handler runs slower than their message's visibility timeout (delivered again while the first
run goes on: both switches through the stack's faults file, `platform.fault_switches`, on
until every order has settled), and a
gateway answering 5xx on 10% of calls with 0-300 ms of latency (set when the stack boots).
A server the stack does not run (an external DATABASE_URL or AWS_ENDPOINT_URL) is not
restarted or paused; the report says so. Then it waits for every order to settle, runs
`ecommerce audit` (with the stock baseline taken before the first order) and reports: orders
lost, double charges, oversold units, client-visible errors by kind, each fault with its count
and the time until the audit is clean after the last fault. The short version runs in CI
(`test_zzzz_soak_short`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from devstack_runner import RunningStack, boot_stack, stop_stack  # noqa: E402
from shoppers import Customer, new_customer  # noqa: E402

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD  # noqa: E402
from ecommerce.platform.fault_switches import (  # noqa: E402
    DUPLICATE_RATE,
    SLOW_HANDLER_RATE,
    SLOW_HANDLER_SECONDS,
    write_faults_file,
)

KILLED = (
    "inventory-worker",
    "orders-worker",
    "payments-worker",
    "outbox-relay",
    "users",
    "catalog",
    "orders",
)
GATEWAY_FAULTS = {"PAYMENT_GATEWAY_ERROR_RATE": "0.1", "PAYMENT_GATEWAY_LATENCY_MS": "0-300"}
TERMINAL = ("CONFIRMED", "CANCELLED")
SWITCHED_FAULTS = {DUPLICATE_RATE: 0.1, SLOW_HANDLER_RATE: 0.05, SLOW_HANDLER_SECONDS: 3}
LOGGED_FAULTS = {
    "fault_duplicate_published": "event published twice (duplicate delivery)",
    "fault_slow_handler": "handler slower than its visibility timeout (delivered again)",
}
POSTGRES = ("postgres",)
EMULATORS = ("moto", "moto-dynamodb")
RESTART_WITHIN = 90.0


@dataclass
class Plan:
    orders: int
    customers: int
    products: int = 6
    stock: int = 0
    """Stock per product; 0 means about 70% of what the orders ask for, so some run out."""
    kill_every: float = 3.0
    pause: float = 0.3
    """Each customer's pause between two orders, so that the faults fall among them."""
    settle_within: float = 600.0
    seed: int = 1


@dataclass
class Tally:
    placed: dict[str, Customer] = field(default_factory=dict)
    client_errors: Counter[str] = field(default_factory=Counter)
    replays_differing: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    skipped: dict[str, str] = field(default_factory=dict)
    last_fault_at: float = 0.0


async def admin_token(session: aiohttp.ClientSession, edge: str) -> str:
    body = {"email": DEFAULT_ADMIN_EMAIL, "password": DEFAULT_ADMIN_PASSWORD}
    async with session.post(f"{edge}/auth/login", json=body) as response:
        return str((await response.json())["access_token"])


async def create_products(session: aiohttp.ClientSession, edge: str, plan: Plan) -> list[str]:
    headers = {"Authorization": f"Bearer {await admin_token(session, edge)}"}
    stock = plan.stock or max(1, int(plan.orders * 2 * 0.7 / plan.products))
    ids = []
    for index in range(plan.products):
        product = {
            "name": f"Soak item {index}",
            "description": "For the chaos soak.",
            "category": f"soak-{uuid.uuid4().hex[:6]}",
            "price": {"amount": 700 + index, "currency": "USD"},
            "stock": stock,
        }
        async with session.post(f"{edge}/products", json=product, headers=headers) as response:
            assert response.status == 201, await response.text()
            ids.append(str((await response.json())["id"]))
    return ids


async def shop(
    customer: Customer,
    products: list[str],
    budget: list[int],
    tally: Tally,
    rng: random.Random,
    pause: float,
) -> None:
    while budget[0] > 0:
        budget[0] -= 1
        await asyncio.sleep(rng.uniform(0, 2 * pause))
        lines = [{"product_id": rng.choice(products), "quantity": rng.randint(1, 3)}]
        roll = rng.random()
        token = "tok_chargeDeclined" if roll < 0.1 else "tok_visa"
        key = str(uuid.uuid4())
        answer = await _call(tally, "POST /orders", customer.place(lines, token, key))
        if answer is None:
            continue
        status, _, order = answer
        if status != 202:
            tally.client_errors[f"POST /orders {status}"] += 1
            continue
        tally.placed[order["id"]] = customer
        if 0.1 <= roll < 0.2:
            again = await _call(tally, "POST /orders (replay)", customer.place(lines, token, key))
            if again is not None and again[0] == 202 and again[2].get("id") != order["id"]:
                tally.replays_differing += 1
        elif 0.2 <= roll < 0.3:
            path = f"/orders/{order['id']}/cancel"
            cancelled = await _call(tally, "POST /orders/{id}/cancel", customer.call("POST", path))
            if cancelled is not None and cancelled[0] not in (200, 409):
                tally.client_errors[f"POST /orders/{{id}}/cancel {cancelled[0]}"] += 1


async def _call(tally: Tally, name: str, call: Any) -> Any:
    try:
        return await call
    except (aiohttp.ClientError, TimeoutError) as error:
        tally.client_errors[f"{name} {type(error).__name__}"] += 1
        return None


def _pids(stack: RunningStack) -> dict[str, int]:
    return {name: pid for name, pid in stack.pids().items() if pid}


@contextlib.contextmanager
def _paused(pid: int) -> Any:
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


async def faults(
    stack: RunningStack, plan: Plan, tally: Tally, placing: asyncio.Future[Any]
) -> None:
    rng = random.Random(plan.seed)
    database = stack.read()["endpoints"]["database"]
    running = _pids(stack)
    own_postgres = all(name in running for name in POSTGRES)
    own_emulators = all(name in running for name in EMULATORS)
    if not own_postgres:
        tally.skipped["PostgreSQL restart and pause"] = (
            "the stack runs on an external DATABASE_URL: a server the soak does not own"
        )
    if not own_emulators:
        tally.skipped["AWS emulator restart and pause"] = (
            "the stack runs on an external AWS_ENDPOINT_URL: no emulator of its own"
        )
    # Each scheduled kind comes at least once, however fast the orders are placed.
    scheduled = {1: own_postgres, 2: own_emulators, 3: own_emulators, 4: own_postgres}
    pending = {kind for kind, possible in scheduled.items() if possible}
    rounds = 0
    while not placing.done() or pending:
        rounds += 1
        victim = rng.choice(KILLED)
        with contextlib.suppress(ProcessLookupError, KeyError):
            os.kill(_pids(stack)[victim], signal.SIGKILL)
            tally.faults[f"SIGKILL {victim}"] += 1
        kind = rounds % 5
        pending.discard(kind)
        if kind == 1 and own_postgres:
            await _restart(stack, POSTGRES, signal.SIGINT)  # a "fast" shutdown
            tally.faults["PostgreSQL restarted"] += 1
        if kind == 2 and own_emulators:
            with _paused(_pids(stack)["moto"]), _paused(_pids(stack)["moto-dynamodb"]):
                tally.faults["AWS emulator paused 10 s"] += 1
                await asyncio.sleep(10)
        if kind == 3 and own_emulators:
            await _restart(stack, EMULATORS, signal.SIGTERM)
            tally.faults["AWS emulator restarted"] += 1
        if kind == 4 and own_postgres:
            with _paused(_pids(stack)["postgres"]):
                tally.faults["PostgreSQL paused 3 s"] += 1
                await asyncio.sleep(3)
            await _cut_connections(database)
            tally.faults["PostgreSQL connections cut"] += 1
        tally.last_fault_at = time.monotonic()
        await asyncio.wait([placing], timeout=plan.kill_every)


async def _restart(stack: RunningStack, names: tuple[str, ...], sig: int) -> None:
    """Stop the stack's servers `names` with `sig` and wait until it has started them again
    (new pids in stack.json: the stack writes them once they answer)."""
    before = {name: _pids(stack)[name] for name in names}
    for pid in before.values():
        os.kill(pid, sig)
    deadline = time.monotonic() + RESTART_WITHIN
    while True:
        now = _pids(stack)
        if all(now.get(name) not in (None, pid) for name, pid in before.items()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{', '.join(names)} not started again within {RESTART_WITHIN} s")
        await asyncio.sleep(0.2)


def count_logged_faults(stack: RunningStack) -> dict[str, int]:
    """How often the processes' fault switches fired, from their log files."""
    counts = dict.fromkeys(LOGGED_FAULTS.values(), 0)
    for log in (stack.state_dir / "logs").glob("*.log"):
        with log.open(errors="replace") as lines:
            for line in lines:
                for event, name in LOGGED_FAULTS.items():
                    if f'"{event}"' in line:
                        counts[name] += 1
    return counts


async def _cut_connections(database: str) -> None:
    connection = await asyncpg.connect(database, timeout=10)
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()


async def settle(
    session: aiohttp.ClientSession, edge: str, tally: Tally, within: float
) -> dict[str, str]:
    """Each order's status once all are CONFIRMED or CANCELLED, or as they are at the bound."""
    deadline = time.monotonic() + within
    statuses: dict[str, str] = {}
    while True:
        for order_id, customer in tally.placed.items():
            if statuses.get(order_id) in TERMINAL:
                continue
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{edge}/orders/{order_id}", headers=customer.auth) as r:
                    statuses[order_id] = (
                        (await r.json())["status"] if r.status == 200 else f"HTTP {r.status}"
                    )
        if all(statuses.get(o) in TERMINAL for o in tally.placed) or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(1)


def run_audit(
    stack: RunningStack, environ: Mapping[str, str], baseline: Path, save: bool
) -> tuple[int, dict[str, Any]]:
    """`ecommerce audit` as an operator runs it: its own process, with the stack's environment
    (not this process's, where other tests' fixtures may have pointed AWS_ENDPOINT_URL,
    DATABASE_URL or ECOMMERCE_PREFIX at their own servers)."""
    env = {**environ, "ECOMMERCE_STATE_DIR": str(stack.state_dir)}
    argv = ["audit", "--json", "--settle-seconds", "0", "--outbox-seconds", "10"]
    argv += ["--save-baseline" if save else "--stock-baseline", str(baseline)]
    done = subprocess.run(
        [sys.executable, "-m", "ecommerce.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError:  # the audit could not read a store: it said why on stderr
        report = {"clean": False, "checks": [], "error": f"audit exited {done.returncode}"}
    report["stderr"] = done.stderr[-2000:]
    return done.returncode, report


async def soak(
    stack: RunningStack, environ: Mapping[str, str], plan: Plan, workdir: Path
) -> dict[str, Any]:
    """`environ` is the environment the stack booted with (the audit runs with it)."""
    rng = random.Random(plan.seed)
    tally = Tally()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        products = await create_products(session, stack.edge, plan)
        baseline = workdir / "stock-baseline.json"
        code, report = await asyncio.to_thread(run_audit, stack, environ, baseline, True)
        if code not in (0, 1):  # 1: earlier tests' violations, reported at the end
            raise RuntimeError(f"the stock baseline could not be taken: {report}")
        customers = [await new_customer(session, stack.edge) for _ in range(plan.customers)]
        budget = [plan.orders]
        began = time.monotonic()
        placing = asyncio.ensure_future(
            asyncio.gather(*(shop(c, products, budget, tally, rng, plan.pause) for c in customers))
        )
        # Duplicate deliveries and slow handlers stay on until every order has settled: most
        # of the saga's events are published after the last order is placed.
        faults_file = stack.state_dir / "faults.json"
        await asyncio.to_thread(write_faults_file, faults_file, SWITCHED_FAULTS)
        try:
            await faults(stack, plan, tally, placing)
            await placing
            placed_in = time.monotonic() - began
            statuses = await settle(session, stack.edge, tally, plan.settle_within)
        finally:
            await asyncio.to_thread(write_faults_file, faults_file, {})
            tally.last_fault_at = time.monotonic()
    # Settled orders are not the end of the saga: reservations are committed or released and
    # refunds made after, from events the relay may still be catching up on. The system has
    # settled when the audit is clean (or at the bound, with what it still finds).
    deadline = tally.last_fault_at + plan.settle_within
    while True:
        code, report = await asyncio.to_thread(run_audit, stack, environ, baseline, False)
        settled_after_last_fault = time.monotonic() - tally.last_fault_at
        # 1 is violations, which settle; anything else is an audit that cannot run.
        if code != 1 or time.monotonic() > deadline:
            break
        await asyncio.sleep(5)
    checks = {check["name"]: check for check in report["checks"]}

    def violated(prefix: str) -> int:
        return sum(len(c["violations"]) for name, c in checks.items() if name.startswith(prefix))

    return {
        "orders_placed": len(tally.placed),
        "orders_lost": sum(1 for o in tally.placed if statuses.get(o) not in TERMINAL),
        "outcomes": dict(Counter(statuses.values())),
        "double_charges": sum(
            1 for c in checks.values() for v in c["violations"] if "captured" in v
        ),
        "capture_violations": violated("one net capture"),
        "oversold_units": violated("stock conserved"),
        "replays_differing": tally.replays_differing,
        "client_errors": dict(tally.client_errors),
        "faults": {**dict(tally.faults), **await asyncio.to_thread(count_logged_faults, stack)},
        "faults_skipped": tally.skipped,
        "placing_seconds": round(placed_in, 1),
        "settled_seconds_after_last_fault": round(settled_after_last_fault, 1),
        "audit_exit": code,
        "audit": report,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    plan = Plan(orders=args.orders, customers=args.customers, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="soak-") as temporary:
        workdir = Path(temporary)
        env = {**os.environ, **GATEWAY_FAULTS}
        print(f"booting a stack in {workdir}", file=sys.stderr, flush=True)
        stack = boot_stack(env, workdir / "state")
        try:
            result = asyncio.run(soak(stack, env, plan, workdir))
        finally:
            stop_stack(stack)
    text = json.dumps(result, indent=2)
    print(text)
    if args.report:
        args.report.write_text(text + "\n")
    return 0 if result["audit_exit"] == 0 and result["orders_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
