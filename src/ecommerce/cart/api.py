"""The cart frontend: GET /cart, PUT and DELETE /cart/items/{product_id}, POST /cart/checkout.

Every route needs a token, and the cart is always the caller's own: the user id comes from
the token, never from the path or the body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from ecommerce.cart.catalog_client import CatalogClient, CatalogUnavailable
from ecommerce.cart.config import CartSettings
from ecommerce.cart.domain import MAX_LINES, MAX_QUANTITY, MIN_QUANTITY
from ecommerce.cart.orders_client import OrderRejected, OrdersClient, OrdersUnavailable
from ecommerce.cart.schemas import CartItemOut, CartOut, CheckoutRequest, SetQuantityRequest
from ecommerce.cart.service import CannotFill, CartService, EmptyCart, UnknownProduct
from ecommerce.cart.store import CartFull, CartStore, CartStoreUnavailable
from ecommerce.events import PRODUCT_ID_PATTERN
from ecommerce.platform.config import Settings
from ecommerce.platform.http.app import READINESS, SETTINGS, create_app
from ecommerce.platform.http.auth import Principal, authenticate
from ecommerce.platform.http.openapi import Param, operation
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import read_json
from ecommerce.platform.tracing import annotate, client_trace_configs

CART = web.AppKey("cart", CartService)
CART_SETTINGS = web.AppKey("cart_settings", CartSettings)

NO_STORE = {"Cache-Control": "no-store"}
PASSED_ON = frozenset({401, 403, 409, 422})
"""Statuses of the orders API that are about the caller's request, and so are theirs to see."""

routes = web.RouteTableDef()


def _caller(request: web.Request) -> Principal:
    principal = authenticate(request)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    return principal


PRODUCT_ID = Param(
    "product_id",
    "path",
    "A product id of the catalog",
    schema={"type": "string", "pattern": f"^{PRODUCT_ID_PATTERN}$"},
)
REMOVED_ID = Param("product_id", "path", "Any id: removing what the cart does not hold is a 204")
TAGS = ("cart",)


@routes.get("/cart")
@operation(
    "The caller's cart, priced from the catalog now",
    description="A product no longer in the catalog stays in the cart with `available: false` "
    "and no price; it is left out of the total and blocks checkout until removed.",
    response=CartOut,
    auth="bearer",
    errors={503: "The cart store or the catalog did not answer"},
    tags=TAGS,
)
async def get_cart(request: web.Request) -> web.Response:
    principal = _caller(request)
    cart = await request.app[CART].view(principal.user_id)
    return web.json_response(CartOut.of(cart).model_dump(mode="json"), headers=NO_STORE)


@routes.put("/cart/items/{product_id}")
@operation(
    "Set how many of a product the caller's cart holds",
    description=f"Quantity {MIN_QUANTITY} to {MAX_QUANTITY}; at most {MAX_LINES} different "
    "products. Stock is not reserved by a cart: checkout checks it.",
    request=SetQuantityRequest,
    response=CartItemOut,
    auth="bearer",
    params=[PRODUCT_ID],
    errors={
        404: "The catalog has no such product",
        409: f"The cart already holds {MAX_LINES} other products",
        503: "The cart store or the catalog did not answer",
    },
    tags=TAGS,
)
async def put_item(request: web.Request) -> web.Response:
    principal = _caller(request)
    product_id = request.match_info["product_id"]
    body = await read_json(request, SetQuantityRequest)
    try:
        line, version = await request.app[CART].set_quantity(
            principal.user_id, product_id, body.quantity
        )
    except UnknownProduct as error:
        raise ProblemError(
            404, "Product not found", f"The catalog has no product {product_id!r}."
        ) from error
    except CartFull as error:
        raise ProblemError(
            409,
            "Cart full",
            f"A cart holds at most {MAX_LINES} different products; remove one first.",
            max_lines=MAX_LINES,
        ) from error
    return web.json_response(
        CartItemOut.of_set(line, version).model_dump(mode="json"), headers=NO_STORE
    )


@routes.delete("/cart/items/{product_id}")
@operation(
    "Take a product out of the caller's cart (idempotent)",
    status=204,
    response_description="The cart no longer holds the product",
    auth="bearer",
    params=[REMOVED_ID],
    errors={503: "The cart store did not answer"},
    tags=TAGS,
)
async def delete_item(request: web.Request) -> web.Response:
    principal = _caller(request)
    await request.app[CART].remove(principal.user_id, request.match_info["product_id"])
    return web.Response(status=204)


@routes.post("/cart/checkout")
@operation(
    "Order what the caller's cart holds, then empty the cart",
    description="Prices and stock are read again from the catalog. The order is placed through "
    "the orders API with `Idempotency-Key: cart-<user id>-<cart version>`, so checkouts racing "
    "on one cart version give one order; the answer is that order (202), as `POST /orders` "
    "gives it. The cart is emptied only once the order is accepted and only if it did not "
    "change meanwhile.",
    request=CheckoutRequest,
    status=202,
    response_description="The order, PENDING; its saga settles it",
    auth="bearer",
    errors={
        409: "The cart is empty, not enough stock or a product is gone (`products` names "
        "them), or this cart version was checked out with another payment token",
        503: "The catalog, the orders API or the cart store did not answer; nothing changed",
    },
    tags=TAGS,
)
async def checkout(request: web.Request) -> web.Response:
    principal = _caller(request)
    body = await read_json(request, CheckoutRequest)
    try:
        done = await request.app[CART].checkout(
            principal.user_id, body.payment_token, request.headers["Authorization"]
        )
    except EmptyCart as error:
        # The body is fine; the cart's state is not: a conflict, as a short stock is.
        raise ProblemError(
            409, "Cart is empty", "Put something in the cart before checking out."
        ) from error
    except CannotFill as error:
        short_only = all(line.reason == "out_of_stock" for line in error.lines)
        raise ProblemError(
            409,
            "Not enough stock" if short_only else "Products unavailable",
            "The catalog cannot fill these lines now: "
            + ", ".join(f"{line.product_id} ({line.reason})" for line in error.lines)
            + ". Nothing was ordered.",
            products=[
                {
                    "product_id": line.product_id,
                    "requested": line.requested,
                    "available": line.available,
                    "reason": line.reason,
                }
                for line in error.lines
            ],
        ) from error
    except OrderRejected as error:
        raise _rejected(error) from error
    except OrdersUnavailable as error:
        raise ProblemError(
            503,
            "Orders unavailable",
            "The order could not be placed now; the cart is unchanged. Try again.",
            headers={"Retry-After": "1"},
        ) from error
    order_id = str(done.order["id"])
    structlog.contextvars.bind_contextvars(order_id=order_id)
    annotate(order_id=order_id)
    headers = {"Location": f"/orders/{order_id}"}
    if done.replayed:
        headers["Idempotent-Replayed"] = "true"
    return web.json_response(done.order, status=202, headers=headers)


def _rejected(error: OrderRejected) -> ProblemError:
    """The orders API's 4xx, told in the cart's terms."""
    title = str(error.problem.get("title") or "Order rejected")
    if error.status == 422 and "Idempotency-Key" in title:
        return ProblemError(
            409,
            "Checkout already placed",
            "This cart was already checked out with another payment token. "
            "Check out again with the same token, or change the cart first.",
        )
    if error.status not in PASSED_ON:
        # Not the customer's doing (a wrong ORDERS_URL, say): say so, not 404 or 405.
        return ProblemError(502, "Orders rejected the checkout", f"orders answered {error.status}")
    extra: dict[str, Any] = {}
    if isinstance(error.problem.get("errors"), list):
        extra["errors"] = error.problem["errors"]
    detail = error.problem.get("detail")
    return ProblemError(error.status, title, str(detail) if detail else None, **extra)


@web.middleware
async def _dependency_problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What the cart depends on being down is a 503 problem, never a 500."""
    try:
        return await handler(request)
    except CartStoreUnavailable as error:
        raise ProblemError(
            503, "Cart unavailable", "The cart store did not answer; try again."
        ) from error
    except CatalogUnavailable as error:
        raise ProblemError(
            503, "Catalog unavailable", "The catalog did not answer; try again."
        ) from error


async def _dependencies(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    cart_settings = app[CART_SETTINGS]
    redis = aioredis.Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=2, decode_responses=True
    )
    session = aiohttp.ClientSession(trace_configs=client_trace_configs())
    store = CartStore(redis, ttl_seconds=cart_settings.ttl_seconds, prefix=cart_settings.key_prefix)
    app[CART] = CartService(
        store,
        CatalogClient(session, settings.catalog_url),
        OrdersClient(session, settings.orders_url),
    )
    app[READINESS]["redis"] = store.ping
    try:
        yield
    finally:
        await session.close()
        await redis.aclose()


def build_app(settings: Settings, cart_settings: CartSettings | None = None) -> web.Application:
    app = create_app(settings)
    app.middlewares.append(_dependency_problems)
    app[CART_SETTINGS] = cart_settings or CartSettings.from_env()
    app.cleanup_ctx.append(_dependencies)
    app.add_routes(routes)
    return app
