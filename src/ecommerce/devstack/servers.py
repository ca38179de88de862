"""An embedded server: a child process in its own group, its log file, and its readiness."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.process_groups import spawn, stop_process

Probe = Callable[[], Awaitable[bool]]


class ServerFailed(RuntimeError):
    """An embedded server exited or did not become ready in time."""


@dataclass
class EmbeddedServer:
    name: str
    process: asyncio.subprocess.Process
    url: str
    log: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self, grace: float = 10.0) -> None:
        await stop_process(self.process, sig=self.stop_signal, grace=grace)


async def start_server(
    name: str,
    argv: Sequence[str],
    *,
    url: str,
    probe: Probe,
    log: Path,
    stop_signal: int = signal.SIGTERM,
    ready_within: float = 30.0,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: pwd.struct_passwd | None = None,
    owned: OwnedProcesses | None = None,
) -> EmbeddedServer:
    """Start the server and wait until `probe` answers; a failed start leaves nothing running."""
    fd = await asyncio.to_thread(open_append, log)
    try:
        process = await spawn(argv, env=env or os.environ, cwd=cwd, stdout=fd, user=user)
    finally:
        os.close(fd)
    server = EmbeddedServer(name, process, url, log, stop_signal)
    try:
        if owned is not None:
            await owned.add(name, process.pid)
        await wait_ready(server, probe, ready_within)
    except BaseException:
        await asyncio.shield(server.stop(grace=5.0))
        if owned is not None:
            await owned.remove(process.pid)
        raise
    return server


async def wait_ready(server: EmbeddedServer, probe: Probe, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if server.process.returncode is not None:
            raise ServerFailed(
                f"{server.name} exited with code {server.process.returncode}; "
                f"the end of {server.log}:\n{await log_tail(server.log)}"
            )
        with contextlib.suppress(Exception):
            if await asyncio.wait_for(probe(), timeout=2.0):
                return
        if loop.time() > deadline:
            raise ServerFailed(
                f"{server.name} did not answer within {within:.0f} s; "
                f"the end of {server.log}:\n{await log_tail(server.log)}"
            )
        await asyncio.sleep(0.1)


async def log_tail(path: Path, lines: int = 20) -> str:
    def _tail() -> str:
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    return await asyncio.to_thread(_tail)


def open_append(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
