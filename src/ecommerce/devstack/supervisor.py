"""Runs each handler, worker and the gateway simulator as its own OS process, and keeps it up.

A child that dies is restarted with exponential backoff (as Kubernetes restarts a pod's
container). Its output goes to its log file and, rendered, to the terminal. Stopping sends
SIGTERM to every child's process group at once, waits (bounded) and SIGKILLs what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from ecommerce.devstack.backoff import Backoff
from ecommerce.devstack.console import Console, LogFile
from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK
from ecommerce.devstack.process_groups import kill_group, signal_group, spawn_with_output
from ecommerce.devstack.processes import ProcessSpec

OnChange = Callable[[], Awaitable[None]]


@dataclass
class Child:
    spec: ProcessSpec
    port: int | None
    log: Path
    env: Mapping[str, str] = field(repr=False)
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    spawned: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    """Set once the first start was attempted (whether it worked or not)."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def url(self) -> str | None:
        return f"http://{LOOPBACK}:{self.port}" if self.port is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None


@dataclass(frozen=True)
class Upstream:
    url: str | None
    running: bool


class Supervisor:
    def __init__(
        self,
        console: Console,
        *,
        owned: OwnedProcesses | None = None,
        on_change: OnChange | None = None,
        backoff: Backoff | None = None,
        cwd: Path | None = None,
    ) -> None:
        self._console = console
        self._owned = owned
        self._on_change = on_change
        self._backoff = backoff or Backoff()
        self._cwd = cwd
        self._children: list[Child] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    @property
    def children(self) -> list[Child]:
        return list(self._children)

    def add(
        self, spec: ProcessSpec, *, env: Mapping[str, str], port: int | None, log: Path
    ) -> Child:
        child = Child(spec, port, log, env)
        self._children.append(child)
        return child

    def start(self, child: Child) -> None:
        self._tasks.append(asyncio.create_task(self._keep_running(child), name=child.name))

    async def wait_spawned(self, within: float = 10.0) -> None:
        """Until every started child has had its first start attempted (bounded)."""
        waits = [asyncio.create_task(child.spawned.wait()) for child in self._children]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=within)
            for task in pending:
                task.cancel()

    def upstream(self, service: str) -> Upstream | None:
        """How the edge reaches `service`; None if this stack does not run it."""
        for child in self._children:
            if child.spec.service == service:
                return Upstream(child.url, child.running)
        return None

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every child's group, wait up to `grace` seconds, SIGKILL the stragglers."""
        self._stopping.set()
        running = [child.process for child in self._children if child.running]
        for process in running:
            if process is not None:
                signal_group(process.pid, signal.SIGTERM)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace)
            for child in self._children:
                if child.process is not None and child.process.returncode is None:
                    self._console.say(f"{child.name} did not stop within {grace:.0f} s: SIGKILL")
                    signal_group(child.process.pid, signal.SIGKILL)
            if pending:
                await asyncio.wait(pending, timeout=5.0)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for process in running:
            if process is not None:
                await kill_group(process.pid)

    async def _keep_running(self, child: Child) -> None:
        loop = asyncio.get_running_loop()
        log = await self._console.open_log(child.log)
        failures = 0
        try:
            while not self._stopping.is_set():
                started = loop.time()
                code = await self._run_once(child, log)
                if self._stopping.is_set():
                    break
                ran_for = loop.time() - started
                failures = self._backoff.next_failures(failures, ran_for)
                delay = self._backoff.delay(failures)
                child.restarts += 1
                self._console.say(
                    f"{child.name} {describe_exit(code)} after {ran_for:.1f} s; "
                    f"restarting in {delay:g} s (restart #{child.restarts}, log {child.log})"
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
        finally:
            self._console.close_log(log)

    async def _run_once(self, child: Child, log: LogFile) -> int | None:
        argv = [sys.executable, "-m", child.spec.module]
        try:
            process, output, pipe = await spawn_with_output(argv, env=child.env, cwd=self._cwd)
        except OSError as error:
            self._console.say(f"{child.name} could not start: {error}")
            child.spawned.set()
            return None
        child.process = process
        child.spawned.set()
        if self._owned is not None:
            await self._owned.add(child.name, process.pid)
        if self._stopping.is_set():
            signal_group(process.pid, signal.SIGTERM)
        await self._changed()
        pump = asyncio.create_task(self._pump(child, output, log))
        code = await process.wait()
        # What the child left running in its group goes with it, as in a container.
        await kill_group(process.pid)
        # Output still buffered in the pipe is worth reading, but not worth a long wait.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(pump), 2.0)
        pump.cancel()
        pipe.close()
        if self._owned is not None:
            await self._owned.remove(process.pid)
        await self._changed()
        return code

    async def _pump(self, child: Child, stream: asyncio.StreamReader, log: LogFile) -> None:
        while True:
            try:
                line = await stream.readline()
            except ValueError:
                self._console.say(f"{child.name} wrote a line over 1 MiB; it was dropped")
                continue
            if not line:
                return
            self._console.output(child.name, line, log)

    async def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            await self._on_change()
        except OSError as error:  # a full disk must not stop the supervision
            self._console.say(f"could not record a process change: {error}")


def describe_exit(code: int | None) -> str:
    if code is None:
        return "could not start"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


async def wait_until_answering(
    children: list[Child], say: Callable[[str], None], within: float = 30.0
) -> list[str]:
    """Wait until every listening child answers `GET /healthz`; returns those that did not."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    pending = {child.name: child for child in children if child.url is not None}
    timeouts = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeouts) as session:

        async def answers(child: Child) -> bool:
            try:
                async with session.get(f"{child.url}/healthz") as response:
                    return response.status < 500
            except (aiohttp.ClientError, TimeoutError):
                return False

        while pending and loop.time() - started < within:
            results = await asyncio.gather(*(answers(child) for child in pending.values()))
            for name, ok in zip(list(pending), results, strict=True):
                if ok:
                    say(
                        f"{name} answers on {pending.pop(name).url} ({loop.time() - started:.1f} s)"
                    )
            if pending:
                await asyncio.sleep(0.2)
    return sorted(pending)
