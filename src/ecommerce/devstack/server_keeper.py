"""Starts an embedded server again when it exits while the stack runs.

The supervisor keeps the handlers and workers up; this does the same for PostgreSQL and the
AWS emulators, as a managed service comes back after a restart: on the same port (every child's
URLs stay right), PostgreSQL on its data directory, each emulator from the snapshot it wrote
on its way down (`moto_state`). A start that fails is tried again after the supervisor's
backoff. `stop()` ends the watch before the stack stops its servers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from ecommerce.devstack.backoff import Backoff
from ecommerce.devstack.servers import EmbeddedServer, ServerFailed
from ecommerce.devstack.supervisor import describe_exit

Restart = Callable[[EmbeddedServer], Awaitable[EmbeddedServer]]
"""Start the server again, given the one that exited (its port, its name)."""
Replaced = Callable[[EmbeddedServer, EmbeddedServer], Awaitable[None]]
"""Told the old server and the new one once the new one answers."""


class ServerKeeper:
    def __init__(
        self,
        server: EmbeddedServer,
        restart: Restart,
        *,
        say: Callable[[str], None],
        replaced: Replaced,
        backoff: Backoff | None = None,
    ) -> None:
        self.server = server
        self.restarts = 0
        self._restart = restart
        self._say = say
        self._replaced = replaced
        self._backoff = backoff or Backoff()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name=f"keep-{self.server.name}")

    async def stop(self) -> None:
        """Stop watching (a restart under way finishes first, so nothing is left behind)."""
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _keep(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        started = loop.time()
        while True:
            exited = asyncio.create_task(self.server.process.wait())
            stopping = asyncio.create_task(self._stopping.wait())
            await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if self._stopping.is_set():
                exited.cancel()
                return
            failures = self._backoff.next_failures(failures, loop.time() - started)
            delay = self._backoff.delay(failures) if failures > 1 else 0.0
            self._say(
                f"{self.server.name} {describe_exit(exited.result())}; "
                f"starting it again in {delay:g} s on {self.server.url}"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            started = loop.time()
            try:
                new = await self._restart(self.server)
            except (ServerFailed, OSError) as error:
                self._say(f"{self.server.name} did not start again: {error}")
                continue  # the old process has exited: the wait returns at once, with backoff
            old, self.server = self.server, new
            self.restarts += 1
            self._say(f"{new.name} answers again on {new.url} (pid {new.pid})")
            await self._replaced(old, new)
