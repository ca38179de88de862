"""The orders frontend: POST /orders, GET /orders/{id}, GET /orders."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import asyncpg
import structlog
from aiohttp import web

from ecommerce.orders import service
from ecommerce.orders.domain import Order
from ecommerce.orders.placement import PlacementError
from ecommerce.orders.prices import PriceBook, PriceStore
from ecommerce.orders.schemas import OrderOut, OrderPage, PlaceOrderRequest, order_document
from ecommerce.orders.store import DuplicateKey, OrderStore, no_session_reset
from ecommerce.platform.config import Settings
from ecommerce.platform.database import create_pool
from ecommerce.platform.http.app import AWS, READINESS, SETTINGS, create_app
from ecommerce.platform.http.auth import authenticate
from ecommerce.platform.http.openapi import Link, Param, operation
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import IntQuery, read_json
from ecommerce.platform.logging import get_logger
from ecommerce.platform.tracing import annotate, current_trace_header

log = get_logger("orders.api")

STORE = web.AppKey("order_store", OrderStore)
PRICES = web.AppKey("price_book", PriceBook)

MAX_KEY_LENGTH = 255
IDEMPOTENCY_KEY_PATTERN = rf"[\x21-\x7e]([\x20-\x7e]{{0,{MAX_KEY_LENGTH - 2}}}[\x21-\x7e])?"
"""1 to 255 visible ASCII characters, spaces only inside (a UUID, say)."""
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
IDEMPOTENCY_KEY = Param(
    "Idempotency-Key",
    "header",
    "1 to 255 visible ASCII characters; the same key and body replay the first answer",
    required=True,
    schema={"type": "string", "pattern": f"^{IDEMPOTENCY_KEY_PATTERN}$"},
)
ORDER_ID = Param("order_id", "path", "An order id", schema={"type": "string", "format": "uuid"})
LIMIT = IntQuery("limit", 20, 1, 100)
CURSOR = Param(
    "cursor",
    "query",
    "`next_cursor` of the previous page (opaque)",
    schema={"type": "string", "format": "orders-cursor", "pattern": "^[A-Za-z0-9_-]*$"},
)

routes = web.RouteTableDef()


@routes.post("/orders")
@operation(
    "Place an order; it settles as CONFIRMED or CANCELLED asynchronously",
    request=PlaceOrderRequest,
    response=OrderOut,
    status=202,
    response_description="The order, PENDING (or the first response, replayed)",
    auth="bearer",
    params=[IDEMPOTENCY_KEY],
    links={
        "ReadOrder": Link("get_order", {"order_id": "$response.body#/id"}),
        "CancelOrder": Link("cancel_order", {"order_id": "$response.body#/id"}),
    },
    errors={
        409: "Another request with this key is being placed; retry",
        422: "Invalid body, unknown product, or the key reused with another body",
    },
)
async def place_order(request: web.Request) -> web.Response:
    principal = authenticate(request)
    key = request.headers.get("Idempotency-Key", "")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ProblemError(
            400,
            "Idempotency-Key required",
            f"Send an Idempotency-Key header of 1 to {MAX_KEY_LENGTH} visible ASCII characters.",
        )
    body = await read_json(request, PlaceOrderRequest)
    try:
        placed = await service.place_order(
            request.app[STORE],
            request.app[PRICES],
            customer_id=principal.user_id,
            key=key,
            request=body,
            trace_header=current_trace_header(),
        )
    except service.KeyReused as error:
        raise ProblemError(
            422,
            "Idempotency-Key reused",
            "This Idempotency-Key was used with a different request body.",
        ) from error
    except PlacementError as error:
        raise ProblemError(
            422,
            "Validation failed",
            error.message,
            errors=[{"field": error.field, "message": error.message}],
        ) from error
    except DuplicateKey as error:
        raise ProblemError(
            409, "Idempotency-Key in use", "Another request with this key is being placed."
        ) from error
    structlog.contextvars.bind_contextvars(order_id=placed.response["id"])
    annotate(order_id=placed.response["id"])
    headers = {"Location": f"/orders/{placed.response['id']}"}
    if placed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return web.json_response(placed.response, status=202, headers=headers)


@routes.get("/orders/{order_id}")
@operation(
    "One order with its history (owner or admin)",
    description="An order in PAYMENT_ACTION_REQUIRED carries `payment_action`: the payment "
    "processor's `next_action` for the customer (3-D Secure), the `client_secret` their "
    "browser completes it with, and `expires_at`, when the order is cancelled "
    "(`payment_expired`) if the customer has not authenticated.",
    response=OrderOut,
    response_description="The order",
    auth="bearer",
    params=[ORDER_ID],
    links={"CancelOrder": Link("cancel_order", {"order_id": "$response.body#/id"})},
    errors={404: "No such order of yours"},
)
async def get_order(request: web.Request) -> web.Response:
    principal = authenticate(request)
    order_id = request.match_info["order_id"]
    structlog.contextvars.bind_contextvars(order_id=order_id)
    order = await service.get_order(
        request.app[STORE], order_id, viewer_id=principal.user_id, admin=principal.is_admin
    )
    return _shown(order, request.app[SETTINGS])


@routes.post("/orders/{order_id}/cancel")
@operation(
    "Cancel an order (owner or admin)",
    response=OrderOut,
    response_description="The order",
    auth="bearer",
    params=[ORDER_ID],
    errors={404: "No such order of yours"},
)
async def cancel_order(request: web.Request) -> web.Response:
    principal = authenticate(request)
    order_id = request.match_info["order_id"]
    structlog.contextvars.bind_contextvars(order_id=order_id)
    annotate(order_id=order_id)
    order = await service.cancel_order(
        request.app[STORE], order_id, viewer_id=principal.user_id, admin=principal.is_admin
    )
    return _shown(order, request.app[SETTINGS])


@routes.get("/orders")
@operation(
    "The caller's orders, a page at a time",
    response=OrderPage,
    response_description="{items, next_cursor}",
    auth="bearer",
    params=[LIMIT.param, CURSOR],
    errors={400: "Bad limit or cursor"},
)
async def list_orders(request: web.Request) -> web.Response:
    principal = authenticate(request)
    limit = LIMIT.read(request)
    orders, next_cursor = await service.list_orders(
        request.app[STORE],
        principal.user_id,
        limit=limit,
        cursor=request.query.get("cursor") or None,
    )
    return web.json_response(
        {
            "items": [
                order_document(
                    order,
                    with_history=False,
                    action_expiry=request.app[SETTINGS].payment_action_expiry,
                )
                for order in orders
            ],
            "next_cursor": next_cursor,
        }
    )


def _shown(order: Order | None, settings: Settings) -> web.Response:
    """The order, or 404 when it is absent or not the caller's (the two look alike)."""
    if order is None:
        raise ProblemError(404, "Order not found")
    return web.json_response(order_document(order, action_expiry=settings.payment_action_expiry))


async def _dependencies(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await create_pool(settings, app[AWS], min_size=2, max_size=10, reset=no_session_reset)
    store = OrderStore(pool)
    prices = PriceBook(PriceStore(pool))
    try:
        await prices.refresh()
    except asyncpg.PostgresError as error:  # not migrated yet: /readyz says so until it is
        log.warning("prices_not_loaded", error=repr(error))
    refresher = asyncio.create_task(prices.keep_fresh(), name="prices-refresh")
    app[STORE] = store
    app[PRICES] = prices
    app[READINESS]["postgres"] = store.ping
    app[READINESS]["prices"] = prices.ready
    yield
    refresher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresher
    await asyncio.wait_for(pool.close(), timeout=10)


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app.cleanup_ctx.append(_dependencies)
    app.add_routes(routes)
    return app
