"""The record of every process group one run of the stack owns (`owned.json`).

A run that ends cleanly removes it. A run that was killed (SIGKILL, a closed terminal) leaves it
behind, and the next run ends those groups before it starts, so that no stale server holds a
port or a data directory. Each entry carries the leader's start time, so a recycled pid is never
mistaken for ours.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ecommerce.devstack.jsonfile import read_json, write_json
from ecommerce.devstack.process_groups import (
    group_alive,
    pid_alive,
    start_ticks,
    terminate_group,
)


class AlreadyRunning(RuntimeError):
    """Another `ecommerce dev` owns this state directory."""


@dataclass(frozen=True)
class OwnedGroup:
    name: str
    pgid: int
    ticks: int | None


class OwnedProcesses:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._groups: dict[int, OwnedGroup] = {}
        self._lock = asyncio.Lock()

    async def claim(self, say: Callable[[str], None]) -> None:
        """End a previous run's leftovers, then record this process as the owner."""
        previous = await asyncio.to_thread(read_json, self._path)
        owner = previous.get("supervisor") or {}
        owner_pid = owner.get("pid")
        if (
            isinstance(owner_pid, int)
            and owner_pid != os.getpid()
            and pid_alive(owner_pid, owner.get("ticks"))
        ):
            raise AlreadyRunning(
                f"another `ecommerce dev` (pid {owner_pid}) uses {self._path.parent}; stop it first"
            )
        leftovers = [
            group
            for group in (
                OwnedGroup(entry["name"], int(entry["pgid"]), entry.get("ticks"))
                for entry in previous.get("groups", [])
            )
            if _is_leftover(group)
        ]
        for group in leftovers:
            say(f"ending {group.name} (pid {group.pgid}), left running by a previous run")
        await asyncio.gather(
            *(
                # PostgreSQL's SIGTERM waits for its clients to leave; SIGINT does not.
                terminate_group(
                    group.pgid, sig=signal.SIGINT if group.name == "postgres" else signal.SIGTERM
                )
                for group in leftovers
            )
        )
        await self._write()

    async def add(self, name: str, pid: int) -> None:
        self._groups[pid] = OwnedGroup(name, pid, start_ticks(pid))
        await self._write()

    async def remove(self, pid: int) -> None:
        if self._groups.pop(pid, None) is not None:
            await self._write()

    def pgids(self) -> list[int]:
        return list(self._groups)

    async def release(self) -> None:
        """Forget everything: called once every owned group has ended."""
        self._groups.clear()
        await asyncio.to_thread(self._path.unlink, missing_ok=True)

    async def _write(self) -> None:
        async with self._lock:
            document = {
                "supervisor": {"pid": os.getpid(), "ticks": start_ticks(os.getpid())},
                "groups": [asdict(group) for group in self._groups.values()],
            }
            await asyncio.to_thread(write_json, self._path, document)


async def end_leftovers(path: Path, say: Callable[[str], None]) -> None:
    """For `--reset`: end a dead run's groups without claiming the directory."""
    await OwnedProcesses(path).claim(say)
    await asyncio.to_thread(path.unlink, missing_ok=True)


def _is_leftover(group: OwnedGroup) -> bool:
    if pid_alive(group.pgid):
        # The leader runs: ours only if it is the very process we started.
        return group.ticks is not None and pid_alive(group.pgid, group.ticks)
    # The leader is gone; while members of its group live on, its pid cannot be reused.
    return group_alive(group.pgid)
