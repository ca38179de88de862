"""`ecommerce audit`: check the system's invariants across every store; exit 1 on a violation.

    ecommerce audit                              against the running dev stack (`make run`)
    ecommerce audit --aws --database-url URL     against AWS (the audit role, read-only)
    ecommerce audit --save-baseline stock.json   also record the stock now, for a later
    ecommerce audit --stock-baseline stock.json  ... audit that checks stock conservation

The AWS endpoint is found as `ecommerce dlq` finds it; the database is `--database-url`, else
`DATABASE_URL` (signing in with an RDS IAM token when `DATABASE_IAM_AUTH=true`), else the dev
stack's; the gateway is `--gateway-url`, else the dev stack's simulator, else not asked.
Exit status: 0 when every check holds, 1 on any violation, 2 when a store cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import aiohttp
import asyncpg
from botocore.exceptions import BotoCoreError, ClientError

from ecommerce.ops.audit import Bounds, Check, StockBaseline, audit, violations
from ecommerce.ops.audit_sources import read_snapshot
from ecommerce.ops.dlq_command import printable, table
from ecommerce.ops.target import NoEndpoint, resolve_target, stack_endpoint
from ecommerce.payments.credentials import SecretApiKey
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.database import iam_token_source

HELP = "check the system's invariants across the stores (orders, payments, stock, DLQs)"
DEFAULT_REGION = "us-east-1"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", default=None, help="AWS endpoint (as `ecommerce dlq`)")
    parser.add_argument("--aws", action="store_true", help="the SDK's own AWS endpoints")
    parser.add_argument("--database-url", default=None, help="the orders database")
    parser.add_argument("--gateway-url", default=None, help="the payment gateway to ask")
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=300.0,
        help="the saga's bound: older orders must be settled (default 300)",
    )
    parser.add_argument(
        "--outbox-seconds",
        type=float,
        default=60.0,
        help="the longest an event may wait in the outbox (default 60)",
    )
    parser.add_argument(
        "--action-seconds",
        type=float,
        default=960.0,
        help="the longest an order may wait for the customer's authentication (default 960)",
    )
    parser.add_argument("--stock-baseline", type=Path, help="check stock against this baseline")
    parser.add_argument("--save-baseline", type=Path, help="write the stock now to this file")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    try:
        target = resolve_target(os.environ, endpoint_url=args.endpoint_url, use_aws=args.aws)
        database_url = _database_url(args.database_url)
        baseline = _baseline(args.stock_baseline) if args.stock_baseline else None
    except (NoEndpoint, ValueError, OSError) as error:
        _error(str(error))
        return 2
    target.apply()
    gateway = args.gateway_url or (None if args.aws else stack_endpoint("gateway"))
    _note(f"aws {target.describe()}; gateway {gateway or 'not asked'}")
    bounds = Bounds(
        settle_seconds=args.settle_seconds,
        outbox_seconds=args.outbox_seconds,
        action_seconds=args.action_seconds,
    )
    try:
        checks, stock = asyncio.run(take_audit(database_url, gateway, bounds, baseline))
    except (
        OSError,
        asyncpg.PostgresError,
        ClientError,
        BotoCoreError,
        aiohttp.ClientError,
    ) as error:
        _error(f"a store could not be read: {type(error).__name__}: {error}")
        return 2
    if args.save_baseline:
        args.save_baseline.write_text(json.dumps(stock, indent=2) + "\n")
        _note(f"stock baseline written to {args.save_baseline}")
    print(render_json(checks) if args.json else render(checks))
    return 1 if violations(checks) else 0


async def _gateway_key(clients: AwsClients) -> str:
    """The processor's key: PAYMENT_GATEWAY_API_KEY, else the secret the payments worker reads
    (the processor shows an account's payments to that account's key only)."""
    given = os.environ.get("PAYMENT_GATEWAY_API_KEY", "").strip()
    if given:
        return given
    secret = Settings.from_env("payments-worker").payment_gateway_key_secret
    return await SecretApiKey(await clients.client("secretsmanager"), secret).api_key()


async def take_audit(
    database_url: str, gateway: str | None, bounds: Bounds, baseline: StockBaseline | None
) -> tuple[list[Check], dict[str, object]]:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    clients = AwsClients(region or DEFAULT_REGION, pool_size=4)
    try:
        password = (
            iam_token_source(clients, database_url, region or DEFAULT_REGION)
            if os.environ.get("DATABASE_IAM_AUTH", "").lower() == "true"
            else None
        )
        connection = await asyncpg.connect(database_url, password=password, timeout=10)
        try:
            async with connection.transaction(readonly=True, isolation="repeatable_read"):
                snapshot = await read_snapshot(
                    connection,
                    await clients.client("dynamodb"),
                    await clients.client("sqs"),
                    gateway_url=gateway,
                    gateway_key=await _gateway_key(clients) if gateway else "",
                )
        finally:
            await connection.close()
    finally:
        await clients.close()
    saved: dict[str, object] = {
        "taken_at": snapshot.taken_at.isoformat(),
        "stock": dict(snapshot.stock),
    }
    return audit(snapshot, bounds, baseline), saved


def _database_url(given: str | None) -> str:
    url = given or os.environ.get("DATABASE_URL", "").strip() or stack_endpoint("database")
    if not url:
        raise ValueError(
            "no database: pass --database-url, set DATABASE_URL, or start the dev stack"
        )
    return url


def _baseline(path: Path) -> StockBaseline:
    document = json.loads(path.read_text())
    return StockBaseline(
        taken_at=datetime.fromisoformat(document["taken_at"]),
        stock={str(product): int(count) for product, count in document["stock"].items()},
    )


# --- rendering (pure) ----------------------------------------------------------------------


def render(checks: Sequence[Check]) -> str:
    rows = [
        (
            "ok" if check.ok else "VIOLATED",
            check.name,
            str(check.checked),
            str(len(check.violations)),
            printable(check.note or "", 80),
        )
        for check in checks
    ]
    lines = [table(("RESULT", "INVARIANT", "CHECKED", "VIOLATIONS", "NOTE"), rows, {2, 3})]
    for check in checks:
        for violation in check.violations[:SHOWN_PER_CHECK]:
            lines.append(f"  {check.name}: {printable(violation, 200)}")
        if len(check.violations) > SHOWN_PER_CHECK:
            lines.append(f"  {check.name}: ... {len(check.violations) - SHOWN_PER_CHECK} more")
    total = violations(checks)
    lines.append("")
    lines.append("audit clean" if total == 0 else f"{total} violation(s)")
    return "\n".join(lines)


SHOWN_PER_CHECK = 20


def render_json(checks: Sequence[Check]) -> str:
    return json.dumps(
        {
            "clean": violations(checks) == 0,
            "checks": [
                {
                    "name": check.name,
                    "ok": check.ok,
                    "checked": check.checked,
                    "violations": check.violations,
                    "note": check.note,
                }
                for check in checks
            ],
        },
        indent=2,
    )


def _note(line: str) -> None:
    print(f"ecommerce audit: {line}", file=sys.stderr, flush=True)


def _error(line: str) -> None:
    print(f"ecommerce audit: {line}", file=sys.stderr, flush=True)
