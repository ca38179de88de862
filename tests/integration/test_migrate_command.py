"""`ecommerce migrate`, as the production migration Job runs it: applies what is missing, then
finds everything applied."""

from __future__ import annotations

import asyncio
import sys

import pytest

pytestmark = pytest.mark.integration


async def migrate(database_url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ecommerce.cli",
        "migrate",
        "--database-url",
        database_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_migrate_applies_then_finds_everything_applied(database_url: str) -> None:
    code, first = await migrate(database_url)
    assert code == 0, first
    assert "migration(s) applied" in first or "migrations up to date" in first
    code, second = await migrate(database_url)
    assert (code, second.strip()) == (0, "migrations up to date")
