"""The runner behind every `python -m workers.<name>`.

It builds the clients inside the loop, serves /healthz and /readyz on HEALTH_PORT, turns
SIGTERM and SIGINT into a graceful stop, closes everything and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from aiohttp import web

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.logging import configure_logging, get_logger
from ecommerce.platform.messaging.consumer import Consumer, ConsumerOptions, Handler
from ecommerce.platform.messaging.dispatch import EventDispatcher
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.messaging.queues import resolve_queue
from ecommerce.platform.metrics import QueueMetrics, keep_beating
from ecommerce.platform.settings_models import SettingsError, exit_on
from ecommerce.platform.tracing import configure_tracing, message_segment

log = get_logger("worker")


@dataclass
class WorkerRuntime:
    settings: Settings
    clients: AwsClients
    resources: AsyncExitStack
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    consumers: list[Consumer] = field(default_factory=list)
    background: list[asyncio.Task[None]] = field(default_factory=list)

    def every(
        self,
        seconds: float,
        job: Callable[[], Awaitable[object]],
        name: str,
        *,
        first_after: float | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Run `job` every `seconds` (the first time after `first_after`, and again after
        `retry_after` when it failed) until the worker stops; a failure is logged, not fatal."""

        async def repeat() -> None:
            wait = seconds if first_after is None else first_after
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=wait)
                    return
                try:
                    outcome = await job()
                except Exception as error:
                    log.warning(f"{name}_failed", error=repr(error))
                    wait = seconds if retry_after is None else min(seconds, retry_after)
                else:
                    log.info(name, outcome=outcome)
                    wait = seconds

        self.background.append(asyncio.create_task(repeat(), name=name))

    def options(self) -> ConsumerOptions:
        return ConsumerOptions(
            concurrency=self.settings.worker_concurrency,
            handler_timeout=self.settings.handler_timeout_seconds,
            grace_seconds=self.settings.worker_grace_seconds,
        )

    async def consume(self, queue: str, handler: Handler) -> None:
        """Run one consumer on `queue` until the worker is asked to stop; an event dispatcher
        whose handlers differ from the queue's subscriptions is refused (`WiringError`)."""
        if isinstance(handler, EventDispatcher):
            handler.check_wiring(queue)
        sqs = await self.clients.client("sqs")
        config = await resolve_queue(sqs, queue)
        service = self.settings.service

        async def traced(message: Message) -> None:
            async with message_segment(service, message.trace_header):
                await handler(message)

        consumer = Consumer(
            sqs,
            config,
            traced,
            self.options(),
            QueueMetrics(queue, self.settings.service),
        )
        self.consumers.append(consumer)
        log.info("consuming", queue=queue, url=config.url)
        stopper = asyncio.create_task(self._stop_on_signal(consumer))
        try:
            await consumer.run()
        finally:
            stopper.cancel()

    async def _stop_on_signal(self, consumer: Consumer) -> None:
        await self.stopping.wait()
        consumer.stop()


WorkerMain = Callable[[WorkerRuntime], Awaitable[None]]


def run_worker(service: str, main: WorkerMain) -> None:
    os.environ.setdefault("ECOMMERCE_SERVICE", service)
    try:
        settings = Settings.from_env(service)
    except SettingsError as error:
        exit_on(service, error)
    configure_logging(service)
    configure_tracing(service)
    asyncio.run(_run(service, settings, main))


async def _run(service: str, settings: Settings, main: WorkerMain) -> None:
    pool = settings.worker_concurrency + 10
    async with AsyncExitStack() as stack:
        clients = AwsClients(settings.region, pool_size=pool)
        stack.push_async_callback(clients.close)
        runtime = WorkerRuntime(settings, clients, stack)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _request_stop, runtime, sig)
        await _serve_health(runtime, stack)
        beating = asyncio.create_task(keep_beating(service))
        stack.push_async_callback(_stop_task, beating)
        log.info("worker_started")
        try:
            await main(runtime)
        finally:
            for task in runtime.background:
                task.cancel()
            await asyncio.gather(*runtime.background, return_exceptions=True)
    log.info("worker_stopped")


async def _stop_task(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _request_stop(runtime: WorkerRuntime, sig: signal.Signals) -> None:
    log.info("stop_requested", signal=sig.name)
    runtime.stopping.set()


async def _serve_health(runtime: WorkerRuntime, stack: AsyncExitStack) -> None:
    port = os.environ.get("HEALTH_PORT")
    if not port:
        return

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        if runtime.stopping.is_set():
            return web.json_response({"status": "stopping"}, status=503)
        return web.json_response(
            {"status": "ready", "held": sum(c.held for c in runtime.consumers)}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, os.environ.get("HOST", "0.0.0.0"), int(port)).start()
