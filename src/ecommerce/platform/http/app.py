"""The one way a frontend is built and served.

A service hands over its routes and the cleanup contexts that open and close its pools and
clients; the factory adds health and readiness, logging and problem documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import suppress

from aiohttp import web

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.http import openapi
from ecommerce.platform.http.auth import TOKEN_VERIFIER, keep_keys_current, load_verifier
from ecommerce.platform.http.limits import MAX_BODY_BYTES, PARSER_LIMITS, request_limits
from ecommerce.platform.http.middlewares import HTTP_METRICS, problems, request_log
from ecommerce.platform.logging import configure_logging, get_logger
from ecommerce.platform.metrics import HttpMetrics, flush_every, keep_beating
from ecommerce.platform.settings_models import SettingsError, exit_on
from ecommerce.platform.tracing import configure_tracing, http_middleware, is_configured

ReadinessCheck = Callable[[], Awaitable[object]]

SETTINGS = web.AppKey("settings", Settings)
AWS = web.AppKey("aws", AwsClients)
READINESS = web.AppKey("readiness", dict[str, ReadinessCheck])

log = get_logger("http")


def create_app(settings: Settings, *, verify_tokens: bool = True) -> web.Application:
    middlewares = [request_log, request_limits, problems]
    if is_configured():
        middlewares.insert(0, http_middleware)
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[READINESS] = {}
    app[HTTP_METRICS] = HttpMetrics(settings.service)
    app.cleanup_ctx.append(_metrics_timer)
    app.cleanup_ctx.append(_heartbeat)
    app.cleanup_ctx.append(_aws_clients)
    if verify_tokens:
        app.cleanup_ctx.append(_token_verifier)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    openapi.install(app, settings.service)
    return app


async def _heartbeat(app: web.Application) -> AsyncIterator[None]:
    beating = asyncio.create_task(keep_beating(app[SETTINGS].service))
    yield
    beating.cancel()
    with suppress(asyncio.CancelledError):
        await beating


async def _aws_clients(app: web.Application) -> AsyncIterator[None]:
    clients = AwsClients(app[SETTINGS].region)
    app[AWS] = clients
    yield
    await clients.close()


async def _token_verifier(app: web.Application) -> AsyncIterator[None]:
    app[TOKEN_VERIFIER] = verifier = await load_verifier(app[AWS], app[SETTINGS].token_issuer)
    refresher = asyncio.create_task(keep_keys_current(verifier, app[AWS]))
    yield
    refresher.cancel()
    with suppress(asyncio.CancelledError):
        await refresher


async def _metrics_timer(app: web.Application) -> AsyncIterator[None]:
    """The request metrics flushed every minute, and once more at shutdown."""
    flushing = asyncio.create_task(flush_every(app[HTTP_METRICS]))
    yield
    flushing.cancel()
    with suppress(asyncio.CancelledError):
        await flushing
    app[HTTP_METRICS].flush()


@openapi.operation("Liveness: the process answers", tags=("platform",))
async def _healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@openapi.operation(
    "Readiness: every dependency answers (503 with the failing ones otherwise)",
    tags=("platform",),
)
async def _readyz(request: web.Request) -> web.Response:
    failing: dict[str, str] = {}
    for name, check in request.app[READINESS].items():
        try:
            await asyncio.wait_for(check(), timeout=2)
        except Exception as error:
            failing[name] = type(error).__name__
    if failing:
        return web.json_response({"status": "unavailable", "failing": failing}, status=503)
    return web.json_response({"status": "ready"})


def serve(service: str, build: Callable[[Settings], web.Application]) -> None:
    """Entry point of `python -m handlers.<service>`: build the app and serve until SIGTERM."""
    try:
        settings = Settings.from_env(service)
        configure_logging(service)
        configure_tracing(service)
        app = build(settings)
    except SettingsError as error:
        exit_on(service, error)
    log.info("starting", host=settings.host, port=settings.port)
    with suppress(KeyboardInterrupt):
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=None,
            access_log=None,
            shutdown_timeout=10,
            handle_signals=True,
            **PARSER_LIMITS,
        )
