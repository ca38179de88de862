"""`ecommerce payments reconcile [--since 7d] [--repair]`: the processor against the ledger and
the orders.

    ecommerce payments reconcile                 compare the last 7 days; exit 1 on a discrepancy
    ecommerce payments reconcile --since 24h     a shorter period (or an ISO date)
    ecommerce payments reconcile --repair        also make the safe repairs (refund an orphan
                                                 capture, publish a missing outcome, record a
                                                 refund the ledger lacks)

The processor is `--gateway-url`, else PAYMENT_GATEWAY_URL, else the dev stack's simulator, with
the key of the `payment-gateway-key` secret; the orders database is `--database-url`, else
DATABASE_URL, else the dev stack's; AWS as for `ecommerce dlq` (`--endpoint-url`, `--aws`,
AWS_ENDPOINT_URL, or the dev stack's). docs/payments.md says what each discrepancy means.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg

from ecommerce.ops.reconcile import Sources, compare, render, repair
from ecommerce.ops.target import NoEndpoint, resolve_target, stack_endpoint
from ecommerce.orders.store import OrderStore
from ecommerce.payments.credentials import SecretApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.ledger import Ledger
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.messaging.publisher import EventPublisher

HELP = "payments: reconcile the processor with the ledger and the orders"
DEFAULT_REGION = "us-east-1"
_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `24h`, `90m`, `30s` before now, or an ISO date/time (UTC when naive)."""
    now = now or datetime.now(UTC)
    match = _DURATION.fullmatch(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since: {text!r} is neither 7d/24h/90m nor a date"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="payments_command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "reconcile",
        help="compare the processor's payments and refunds with the ledger and the orders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--since", type=parse_since, default="7d", help="period start (7d)")
    check.add_argument("--repair", action="store_true", help="make the safe repairs")
    check.add_argument(
        "--settle-seconds",
        type=float,
        default=300.0,
        help="leave out payments younger than this: still settling (300)",
    )
    check.add_argument("--gateway-url", default=None, help="the processor's API base URL")
    check.add_argument("--database-url", default=None, help="the orders database")
    check.add_argument("--endpoint-url", default=None, help="AWS endpoint")
    check.add_argument("--aws", action="store_true", help="the SDK's own AWS endpoints")


def run(args: argparse.Namespace) -> int:
    try:
        target = resolve_target(os.environ, endpoint_url=args.endpoint_url, use_aws=args.aws)
    except NoEndpoint as error:
        _say(str(error))
        return 2
    gateway = args.gateway_url or os.environ.get("PAYMENT_GATEWAY_URL") or stack_endpoint("gateway")
    database = args.database_url or os.environ.get("DATABASE_URL") or stack_endpoint("database")
    if not gateway or not database:
        _say("no processor or no orders database: pass --gateway-url and --database-url")
        return 2
    target.apply()
    _say(f"processor {gateway}; AWS {target.describe()}")
    return asyncio.run(
        reconcile_command(
            gateway,
            database,
            since=args.since,
            settle=timedelta(seconds=args.settle_seconds),
            fix=args.repair,
        )
    )


async def reconcile_command(
    gateway_url: str, database_url: str, *, since: datetime, settle: timedelta, fix: bool
) -> int:
    """Print the table; 0 when nothing disagrees (or everything found was repaired)."""
    settings = Settings.from_env("payments-reconcile")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    clients = AwsClients(region or DEFAULT_REGION, pool_size=20)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        async with aiohttp.ClientSession() as session:
            key = SecretApiKey(
                await clients.client("secretsmanager"), settings.payment_gateway_key_secret
            )
            sources = Sources(
                GatewayClient(session, gateway_url, key),
                Ledger(await clients.client("dynamodb"), lease_seconds=60),
                OrderStore(pool),
            )
            report = await compare(sources, since=since, settle=settle)
            done = []
            if fix and report.discrepancies:
                publisher = EventPublisher(await clients.client("sns"), settings.topic_arn)
                done = await repair(sources, publisher, report.discrepancies)
            print(render(report, done))
            left = len(report.discrepancies) - len(done)
            return 0 if left == 0 else 1
    finally:
        await pool.close()
        await clients.close()


def _say(line: str) -> None:
    print(f"ecommerce payments: {line}", file=sys.stderr, flush=True)
