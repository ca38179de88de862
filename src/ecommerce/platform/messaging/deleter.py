"""Coalesces deletes of handled messages into `DeleteMessageBatch` calls of up to 10."""

from __future__ import annotations

import asyncio
from typing import Any

from ecommerce.platform.logging import get_logger

log = get_logger("messaging.deleter")

BATCH = 10
MAX_ATTEMPTS = 5


class BatchDeleter:
    def __init__(self, sqs: Any, queue_url: str, linger_seconds: float = 0.02) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._linger = linger_seconds
        self._pending: list[tuple[str, int]] = []
        self._wakeup = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.calls = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sqs-deleter")

    def delete(self, receipt_handle: str) -> None:
        self._pending.append((receipt_handle, 0))
        if len(self._pending) >= BATCH:
            self._wakeup.set()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger, self._linger_over)

    def _linger_over(self) -> None:
        self._timer = None
        self._wakeup.set()

    async def close(self) -> None:
        """Flush every pending delete, then stop."""
        self._closed = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            # Woken by the linger timer (or close): everything goes. Woken by a full batch:
            # only full batches go now, and what is left gets a linger of its own, rather than
            # going out at once as a batch of whatever arrived during the last round trip.
            flush_all = self._closed or self._timer is None
            if self._timer is not None and len(self._pending) >= BATCH:
                self._timer.cancel()
                self._timer = None
            while len(self._pending) >= BATCH or (flush_all and self._pending):
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
                await self._send(batch)
            if self._closed and not self._pending:
                return
            if self._pending and self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self._linger, self._linger_over)

    async def _send(self, batch: list[tuple[str, int]]) -> None:
        entries = [
            {"Id": str(index), "ReceiptHandle": handle} for index, (handle, _) in enumerate(batch)
        ]
        self.calls += 1
        try:
            response = await self._sqs.delete_message_batch(
                QueueUrl=self._queue_url, Entries=entries
            )
            failed = [
                int(entry["Id"])
                for entry in response.get("Failed", [])
                if not entry.get("SenderFault")
            ]
            for entry in response.get("Failed", []):
                if entry.get("SenderFault"):
                    log.warning("delete_refused", code=entry.get("Code"))
        except Exception as error:
            log.warning("delete_batch_error", error=repr(error))
            failed = list(range(len(batch)))
        for index in failed:
            handle, attempts = batch[index]
            if attempts + 1 < MAX_ATTEMPTS:
                self._pending.append((handle, attempts + 1))
            else:
                log.error("delete_gave_up", attempts=attempts + 1)
        if failed and not self._closed:
            await asyncio.sleep(0.2)
