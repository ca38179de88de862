"""Publishes the orders outbox to SNS.

Several replicas may run: each takes a batch with `FOR UPDATE SKIP LOCKED`, publishes it with
`PublishBatch`, and marks what was published in the same transaction. A failed entry stays
unpublished and is retried on the next round. `LISTEN outbox` wakes the relay as soon as a row
is committed; a timed poll is the fallback should a notification be missed. Published rows are
pruned after a retention period.

Woken by a notification, the relay waits `gather_seconds` (50 ms) for the rows committed just
after, so that at load a batch carries several events: each round costs a transaction and a
publish call, whatever the batch holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.publisher import BATCH, EventPublisher, Outgoing
from ecommerce.platform.tracing import RelaySegments
from ecommerce.platform.transient import is_transient

log = get_logger("outbox_relay")


@dataclass(frozen=True)
class RelayOptions:
    poll_seconds: float = 2.0
    retention_seconds: float = 7 * 24 * 3600
    prune_every_seconds: float = 600.0
    failure_pause_seconds: float = 1.0
    gather_seconds: float = 0.05


class OutboxRelay:
    def __init__(
        self, pool: asyncpg.Pool, publisher: EventPublisher, options: RelayOptions | None = None
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._options = options or RelayOptions()
        self._wakeup = asyncio.Event()
        self._last_prune = 0.0
        self.published = 0

    async def run(self, stopping: asyncio.Event) -> None:
        """Relay until `stopping`; the database going away (a restart, a failover, connections
        cut) is waited out, the listener opened again, not a reason to exit."""
        while not stopping.is_set():
            try:
                await self._relay_while_connected(stopping)
            except Exception as error:
                if not is_transient(error):
                    raise
                log.warning("relay_database_unavailable", error=repr(error))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        stopping.wait(), timeout=self._options.failure_pause_seconds
                    )

    async def _relay_while_connected(self, stopping: asyncio.Event) -> None:
        listener: Any = await self._pool.acquire()
        try:
            await listener.add_listener("outbox", self._notified)
            while not stopping.is_set():
                moved = await self.relay_once()
                if moved == BATCH:
                    continue  # more may be waiting
                if time.monotonic() - self._last_prune > self._options.prune_every_seconds:
                    await self.prune()
                    self._last_prune = time.monotonic()
                await self._sleep(stopping)
                if listener.is_closed():
                    raise ConnectionResetError("the LISTEN connection was closed")
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener("outbox", self._notified)
            with contextlib.suppress(Exception):
                await self._pool.release(listener)

    def _notified(self, *_: object) -> None:
        self._wakeup.set()

    async def _sleep(self, stopping: asyncio.Event) -> None:
        waiters = [
            asyncio.create_task(self._wakeup.wait()),
            asyncio.create_task(stopping.wait()),
        ]
        await asyncio.wait(
            waiters, timeout=self._options.poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        for waiter in waiters:
            waiter.cancel()
        if self._wakeup.is_set() and not stopping.is_set():
            await asyncio.sleep(self._options.gather_seconds)
        self._wakeup.clear()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published."""
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                "SELECT id, event_type, body, trace_header FROM outbox"
                " WHERE published_at IS NULL ORDER BY created_at LIMIT $1"
                " FOR UPDATE SKIP LOCKED",
                BATCH,
            )
            if not rows:
                return 0
            spans = RelaySegments("outbox-relay", [r["trace_header"] for r in rows])
            messages = [
                Outgoing(str(r["id"]), r["event_type"], r["body"], header)
                for r, header in zip(rows, spans.headers, strict=True)
            ]
            try:
                failed = await self._publisher.publish_batch(messages)
            except Exception as error:
                log.warning("publish_batch_error", error=repr(error), rows=len(rows))
                failed = {m.id for m in messages}
            spans.close({index for index, m in enumerate(messages) if m.id in failed})
            done = [r["id"] for r in rows if str(r["id"]) not in failed]
            await connection.execute(
                "UPDATE outbox SET published_at = now() WHERE id = any($1::uuid[])", done
            )
            if failed:
                await connection.execute(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE id = any($1::uuid[])",
                    [r["id"] for r in rows if str(r["id"]) in failed],
                )
        if failed:
            log.warning("publish_failed", failed=len(failed))
            await asyncio.sleep(self._options.failure_pause_seconds)
        self.published += len(done)
        if done:
            log.info("outbox_published", count=len(done))
        return len(done)

    async def prune(self) -> int:
        status = await self._pool.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            self._options.retention_seconds,
        )
        pruned = int(status.split()[-1])
        if pruned:
            log.info("outbox_pruned", count=pruned)
        return pruned
