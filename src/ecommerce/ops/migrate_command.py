"""`ecommerce migrate`: apply the orders database migrations to DATABASE_URL, then grant the
services' own user (DATABASE_APP_USER, when set: the migration Job in AWS) what it needs."""

from __future__ import annotations

import argparse
import asyncio
import os

from ecommerce.orders.migrations import apply_migrations

HELP = "apply the orders database's SQL migrations (DATABASE_URL or --database-url)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL DSN (default: $DATABASE_URL)"
    )


def run(args: argparse.Namespace) -> int:
    dsn = args.database_url or os.environ.get("DATABASE_URL", "").strip()
    if not dsn:
        print("ecommerce migrate: set DATABASE_URL or pass --database-url")
        return 2
    app_user = os.environ.get("DATABASE_APP_USER", "").strip() or None
    applied = asyncio.run(apply_migrations(dsn, app_user))
    for name in applied:
        print(f"applied {name}")
    print("migrations up to date" if not applied else f"{len(applied)} migration(s) applied")
    if app_user:
        print(f"database user {app_user}: may sign in (IAM on RDS) and use the tables")
    return 0
