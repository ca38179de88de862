"""Child processes in process groups of their own, and how to find and end them.

Every child starts a new session, so that the terminal's Ctrl-C reaches only the supervisor,
and so that signalling the group reaches whatever the child started in turn (PostgreSQL's
backends, for one). Liveness checks go through psutil (Linux and macOS alike) so that zombies
count as gone and a recycled pid is told apart from the process we started (by its start
time).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import signal
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied, ProcessLookupError)
_DEAD = (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)


def start_ticks(pid: int) -> int | None:
    """The process's start time (hundredths of a second since the epoch), or None if it does
    not run (zombies do not count)."""
    try:
        process = psutil.Process(pid)
        if process.status() in _DEAD:
            return None
        return round(process.create_time() * 100)
    except _GONE:
        return None


def pid_alive(pid: int, ticks: int | None = None) -> bool:
    """True if `pid` runs (zombies do not count), and is the process started at `ticks`."""
    current = start_ticks(pid)
    if current is None:
        return False
    return ticks is None or current == ticks


def group_alive(pgid: int) -> bool:
    """True if any process of the group still runs (zombies do not count)."""
    return bool(group_members(pgid))


def group_members(pgid: int) -> list[int]:
    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if process.info["status"] in _DEAD or os.getpgid(process.pid) != pgid:
                continue
        except _GONE:
            continue
        members.append(process.pid)
    return members


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False if no process of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


async def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    stdout: int | None = asyncio.subprocess.PIPE,
    user: pwd.struct_passwd | None = None,
) -> asyncio.subprocess.Process:
    """Start `argv` as the leader of a new session; stderr goes where stdout goes."""
    return await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        limit=1 << 20,
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
    )


async def spawn_with_output(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None
) -> tuple[asyncio.subprocess.Process, asyncio.StreamReader, asyncio.ReadTransport]:
    """Like `spawn`, with stdout and stderr on a pipe of our own rather than asyncio's.

    On Python 3.11, `Process.wait()` of an asyncio-piped child returns only once every
    holder of the pipe is gone, grandchildren included; with our own pipe it returns when
    the child exits, and the reader gives what was written until the last writer is gone.
    """
    loop = asyncio.get_running_loop()
    read_fd, write_fd = os.pipe()
    try:
        process = await spawn(argv, env=env, cwd=cwd, stdout=write_fd)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    reader = asyncio.StreamReader(limit=1 << 20, loop=loop)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(read_fd, "rb", 0)
    )
    return process, reader, transport


async def stop_process(
    process: asyncio.subprocess.Process,
    *,
    sig: int = signal.SIGTERM,
    grace: float = 10.0,
) -> int | None:
    """Signal the child's group, wait (bounded), then SIGKILL whatever of the group is left."""
    pgid = process.pid
    if process.returncode is None:
        signal_group(pgid, sig)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            signal_group(pgid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5.0)
    await kill_group(pgid)
    return process.returncode


async def kill_group(pgid: int, within: float = 5.0) -> None:
    """SIGKILL every process left in the group and wait until none is."""
    await poll_until(
        lambda: not (signal_group(pgid, signal.SIGKILL) and group_alive(pgid)), within, 0.05
    )


async def terminate_group(pgid: int, *, sig: int = signal.SIGTERM, grace: float = 5.0) -> None:
    """End a group that is not our child (a previous run's leftover): signal, wait, SIGKILL."""
    signal_group(pgid, sig)
    await poll_until(lambda: not group_alive(pgid), grace)
    await kill_group(pgid)


async def poll_until(predicate: Callable[[], bool], within: float, interval: float = 0.1) -> bool:
    """Check `predicate` every `interval` seconds until it holds (True) or `within` ends.

    For processes that are not our children there is nothing to await but their absence.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if predicate():
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(interval)
