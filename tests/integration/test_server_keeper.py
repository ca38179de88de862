"""An embedded server that exits while the stack runs is started again (`ServerKeeper`), a
start that fails is tried again, and `stop()` ends the watch without a restart."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from ecommerce.devstack.backoff import Backoff
from ecommerce.devstack.process_groups import spawn
from ecommerce.devstack.server_keeper import ServerKeeper
from ecommerce.devstack.servers import EmbeddedServer, ServerFailed

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def sleeper(name: str, log: Path) -> EmbeddedServer:
    process = await spawn(["sleep", "60"], env=os.environ, stdout=None)
    return EmbeddedServer(name, process, "http://127.0.0.1:1", log)


async def test_a_server_that_exits_is_started_again(tmp_path: Path) -> None:
    first = await sleeper("postgres", tmp_path / "log")
    replaced: list[tuple[int, int]] = []
    attempts: list[str] = []

    async def restart(old: EmbeddedServer) -> EmbeddedServer:
        attempts.append(old.name)
        if len(attempts) == 1:
            raise ServerFailed("not yet")
        return await sleeper(old.name, old.log)

    async def on_replaced(old: EmbeddedServer, new: EmbeddedServer) -> None:
        replaced.append((old.pid, new.pid))

    said: list[str] = []
    keeper = ServerKeeper(
        first,
        restart,
        say=said.append,
        replaced=on_replaced,
        backoff=Backoff(initial=0.1, maximum=0.2),
    )
    keeper.start()
    os.kill(first.pid, signal.SIGKILL)
    for _ in range(100):
        if replaced:
            break
        await asyncio.sleep(0.05)
    await keeper.stop()
    try:
        assert attempts == ["postgres", "postgres"], said
        assert replaced == [(first.pid, keeper.server.pid)] and keeper.restarts == 1
        assert keeper.server.process.returncode is None
    finally:
        await keeper.server.stop(grace=1)


async def test_stop_ends_the_watch_without_a_restart(tmp_path: Path) -> None:
    server = await sleeper("moto", tmp_path / "log")
    restarted: list[str] = []

    async def restart(old: EmbeddedServer) -> EmbeddedServer:
        restarted.append(old.name)
        return await sleeper(old.name, old.log)

    async def on_replaced(old: EmbeddedServer, new: EmbeddedServer) -> None:
        pass

    keeper = ServerKeeper(server, restart, say=lambda _: None, replaced=on_replaced)
    keeper.start()
    await keeper.stop()
    await server.stop(grace=1)
    await asyncio.sleep(0.2)
    assert restarted == []
