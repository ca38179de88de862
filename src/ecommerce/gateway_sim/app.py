"""The aiohttp application: middlewares around the Stripe routes, outermost first.

log (request id, one JSON line, errors rendered Stripe-style) → injected transient errors →
API-key auth → `Idempotency-Key` → latency → route. Only `/v1/...` goes past the first.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import random
import time
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ecommerce.gateway_sim.config import SimConfig
from ecommerce.gateway_sim.context import API_KEY, LOG_FIELDS, REQUEST_ID
from ecommerce.gateway_sim.delivery import Deliverer
from ecommerce.gateway_sim.errors import StripeError, json_response
from ecommerce.gateway_sim.idempotency import IdempotencyStore, idempotency_middleware
from ecommerce.gateway_sim.models import new_id
from ecommerce.gateway_sim.routes import Api
from ecommerce.gateway_sim.state import GatewayState
from ecommerce.platform.logging import get_logger

_log = get_logger("ecommerce.gateway_sim")

DELIVERER = web.AppKey("deliverer", Deliverer)

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


def _is_api(request: web.Request) -> bool:
    return request.path.startswith("/v1/")


async def _render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except StripeError as error:
        return error.response()
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            message = f"Unrecognized request URL ({request.method}: {request.path})."
            return StripeError(404, "invalid_request_error", message).response()
        return StripeError(exc.status, "invalid_request_error", exc.reason).response()
    except Exception:
        _log.exception("gateway_sim.unhandled", method=request.method, path=request.path)
        return StripeError(500, "api_error", "An unknown error occurred.").response()


@web.middleware
async def _log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    request[REQUEST_ID] = new_id("req")
    fields: dict[str, Any] = {"idempotency_key": request.headers.get("Idempotency-Key")}
    request[LOG_FIELDS] = fields
    response = await _render_errors(request, handler)
    response.headers["Request-Id"] = request[REQUEST_ID]
    _log.info(
        "http.request",
        method=request.method,
        path=request.path,
        http_status=response.status,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
        request_id=request[REQUEST_ID],
        **{name: value for name, value in fields.items() if value is not None},
    )
    return response


def _inject_faults(config: SimConfig, rng: random.Random) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if _is_api(request) and config.error_rate > 0 and rng.random() < config.error_rate:
            request[LOG_FIELDS]["injected_fault"] = True
            status = rng.choice((500, 503))
            message = (
                "An unknown error occurred."
                if status == 500
                else "The server is temporarily unavailable. Please retry."
            )
            raise StripeError(status, "api_error", message, headers={"Stripe-Should-Retry": "true"})
        return await handler(request)

    return middleware


def _api_key(authorization: str) -> str | None:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip() or None
    if scheme.lower() == "basic":  # curl -u sk_test_...:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


@web.middleware
async def _authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    key = _api_key(request.headers.get("Authorization", ""))
    if key is None:
        raise StripeError(401, "invalid_request_error", NO_KEY)
    if not key.startswith("sk_test_") or len(key) <= len("sk_test_"):
        masked = f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"
        raise StripeError(401, "invalid_request_error", f"Invalid API Key provided: {masked}")
    request[API_KEY] = key
    return await handler(request)


def _add_latency(config: SimConfig, rng: random.Random) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        delay = config.latency.sample_seconds(rng) if _is_api(request) else 0.0
        if delay > 0:
            await asyncio.sleep(delay)
        return await handler(request)

    return middleware


def _idempotency(store: IdempotencyStore) -> Middleware:
    inner = idempotency_middleware(store)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await (inner(request, handler) if _is_api(request) else handler(request))

    return middleware


async def healthz(_request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


def create_app(
    config: SimConfig | None = None,
    *,
    rng: random.Random | None = None,
    idempotency: IdempotencyStore | None = None,
) -> web.Application:
    config = config or SimConfig()
    rng = rng or random.Random()
    app = web.Application(
        middlewares=[
            _log_requests,
            _inject_faults(config, rng),
            _authenticate,
            _idempotency(idempotency or IdempotencyStore()),
            _add_latency(config, rng),
        ]
    )
    app.router.add_get("/healthz", healthz)
    deliverer = Deliverer(config.webhooks, rng)
    app[DELIVERER] = deliverer
    app.cleanup_ctx.append(deliverer.lifecycle)
    Api(GatewayState(notify=deliverer.deliver)).add_to(app)
    return app
