"""Applies the plain SQL files in `orders/migrations/` in name order, each once.

Each file runs in its own transaction; an advisory lock keeps concurrent runners (several
pods starting at once) from applying the same file twice. Given an app user (in AWS:
DATABASE_APP_USER, the services' own database user), it then makes sure that user exists, may
sign in with IAM tokens (RDS's `rds_iam` role, where there is one) and may read and write the
tables, these and those later migrations add: the services never use the master user, whose
password RDS rotates.
"""

from __future__ import annotations

from importlib.resources import files

import asyncpg

from ecommerce.platform.logging import get_logger

log = get_logger("orders.migrations")

LOCK_ID = 7_201_001


def migration_files() -> list[tuple[str, str]]:
    folder = files("ecommerce.orders") / "migrations"
    entries = [entry for entry in folder.iterdir() if entry.name.endswith(".sql")]
    return [(entry.name, entry.read_text()) for entry in sorted(entries, key=lambda e: e.name)]


async def apply_migrations(dsn: str, app_user: str | None = None) -> list[str]:
    """Apply what is not applied yet, then grant `app_user` (if given) what the services need;
    returns the names of the files applied now."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", LOCK_ID)
        try:
            await connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await connection.fetch("SELECT name FROM schema_migrations")}
            applied = []
            for name, sql in migration_files():
                if name in done:
                    continue
                async with connection.transaction():
                    await connection.execute(sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (name) VALUES ($1)", name
                    )
                log.info("migration_applied", name=name)
                applied.append(name)
            if app_user:
                await grant_app_user(connection, app_user)
            return applied
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)
    finally:
        await connection.close()


async def grant_app_user(connection: asyncpg.Connection, user: str) -> None:
    """The services' user: it exists, signs in with IAM on RDS, reads and writes the tables."""
    role = await connection.fetchval("SELECT quote_ident($1)", user)
    database = await connection.fetchval("SELECT quote_ident(current_database())")
    async with connection.transaction():
        if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user):
            await connection.execute(f"CREATE ROLE {role} LOGIN")
        if await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'"):
            await connection.execute(f"GRANT rds_iam TO {role}")
        for statement in (
            f"GRANT CONNECT ON DATABASE {database} TO {role}",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ):
            await connection.execute(statement)
    log.info("app_user_granted", user=user)
