"""Webhook delivery as Stripe does it: signed, at least once, retried with backoff.

Each (endpoint, event) is one delivery task: POST the event's JSON with a `Stripe-Signature`
header (a fresh timestamp each attempt); a 2xx ends it, anything else (or no answer) is tried
again after `base * 2^attempt` seconds with jitter, up to `attempts` times. Deliveries run
concurrently, so events may arrive out of order, as they may from Stripe.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from ecommerce.gateway_sim.config import WebhookDelivery
from ecommerce.gateway_sim.events import Event, WebhookEndpoint
from ecommerce.gateway_sim.signing import HEADER, signature_header
from ecommerce.platform.logging import get_logger

_log = get_logger("ecommerce.gateway_sim.webhooks")


class Deliverer:
    def __init__(self, config: WebhookDelivery, rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.failed_attempts = 0

    def deliver(self, endpoint: WebhookEndpoint, event: Event) -> None:
        """Start delivering (from synchronous code on the loop); returns at once."""
        if self._session is None:  # not serving (a test's bare app): nothing to send with
            return
        task = asyncio.get_running_loop().create_task(self._deliver(endpoint, event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, endpoint: WebhookEndpoint, event: Event) -> None:
        assert self._session is not None
        body = json.dumps(event.to_json()).encode()
        for attempt in range(self._config.attempts):
            if attempt:
                delay = self._config.base_seconds * 2 ** (attempt - 1)
                await asyncio.sleep(
                    min(delay, self._config.max_seconds) * self._rng.uniform(1, 1.5)
                )
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                HEADER: signature_header(body, endpoint.secret, int(time.time())),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            }
            try:
                async with self._session.post(endpoint.url, data=body, headers=headers) as answer:
                    status = answer.status
            except (aiohttp.ClientError, TimeoutError) as error:
                status, reason = 0, type(error).__name__
            else:
                reason = f"HTTP {status}"
            if 200 <= status < 300:
                self.delivered += 1
                _log.info("webhook.delivered", event_id=event.id, type=event.type, attempt=attempt)
                return
            self.failed_attempts += 1
            _log.info("webhook.retrying", event_id=event.id, attempt=attempt, reason=reason)
        _log.warning("webhook.gave_up", event_id=event.id, endpoint=endpoint.url)

    async def lifecycle(self, _app: web.Application) -> AsyncIterator[None]:
        timeout = aiohttp.ClientTimeout(total=self._config.timeout_seconds)
        self._session = aiohttp.ClientSession(timeout=timeout)
        yield
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._session.close()
        self._session = None
