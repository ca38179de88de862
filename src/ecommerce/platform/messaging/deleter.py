"""Coalesces deletes of handled messages into `DeleteMessageBatch` calls of up to 10.

A batch goes when it is full. A partial one waits (up to `linger_seconds`, 0.5 s) for more
while other messages are still in flight, and goes at once when none is: then nothing more is
coming soon. A handled message stays invisible meanwhile, so waiting costs nothing but the
wait, and at load it turns one call per message or two into one per ten.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from ecommerce.platform.logging import get_logger

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient
    from types_aiobotocore_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef

log = get_logger("messaging.deleter")

BATCH = 10
MAX_ATTEMPTS = 5
LINGER_SECONDS = 0.5


class BatchDeleter:
    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        linger_seconds: float = LINGER_SECONDS,
        busy: Callable[[], bool] = lambda: True,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._linger = linger_seconds
        self._busy = busy
        self._pending: list[tuple[str, int]] = []
        self._wakeup = asyncio.Event()
        self._flush_now = False
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
        elif not self._busy():
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger, self.flush)

    def flush(self) -> None:
        """Send what is pending now (the linger is over, or nothing else is in flight)."""
        self._flush_now = True
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
            # Woken by a full batch: only full batches go now, and the rest keeps lingering,
            # rather than going out as a batch of whatever arrived during the last round trip.
            flush_all = self._closed or self._flush_now or not self._busy()
            self._flush_now = False
            if flush_all and self._timer is not None:
                self._timer.cancel()
                self._timer = None
            while len(self._pending) >= BATCH or (flush_all and self._pending):
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
                await self._send(batch)
            if self._closed and not self._pending:
                return
            if self._pending and self._timer is None:
                self._timer = asyncio.get_running_loop().call_later(self._linger, self.flush)

    async def _send(self, batch: list[tuple[str, int]]) -> None:
        entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
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
