"""Applies the plain SQL files in `orders/migrations/` in name order, each once.

Each file runs in its own transaction; an advisory lock keeps concurrent runners (several
pods starting at once) from applying the same file twice.
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


async def apply_migrations(dsn: str) -> list[str]:
    """Apply what is not applied yet; returns the names of the files applied now."""
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
            return applied
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", LOCK_ID)
    finally:
        await connection.close()
