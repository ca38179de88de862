"""The catalog frontend: public product reads. Admin writes arrive with the storefront issue."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ecommerce.catalog.cursor import InvalidCursor
from ecommerce.catalog.domain import InvalidCategory
from ecommerce.catalog.schemas import ProductOut, ProductPageOut
from ecommerce.catalog.service import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CatalogService
from ecommerce.catalog.store import ProductStore
from ecommerce.platform.config import Settings
from ecommerce.platform.http.app import AWS, READINESS, create_app
from ecommerce.platform.http.openapi import Param, operation
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import query_int
from ecommerce.resources import physical

CATALOG = web.AppKey("catalog", CatalogService)


@operation(
    "List products a page at a time, optionally of one category",
    response=ProductPageOut,
    params=[
        Param("limit", "query", "Page size", schema={"type": "integer", "minimum": 1}),
        Param("cursor", "query", "`next_cursor` of the previous page"),
        Param("category", "query", "Only products of this category"),
    ],
    errors={400: "Bad limit, cursor or category"},
)
async def list_products(request: web.Request) -> web.Response:
    limit = query_int(request, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    try:
        page = await request.app[CATALOG].products(
            limit=limit,
            cursor=request.query.get("cursor") or None,
            category=request.query.get("category") or None,
        )
    except InvalidCursor as error:
        raise ProblemError(400, "Invalid cursor", str(error)) from error
    except InvalidCategory as error:
        raise ProblemError(400, "Invalid query parameter", f"category: {error}") from error
    return web.json_response(ProductPageOut.of(page).model_dump())


@operation("One product", response=ProductOut, errors={404: "No product has this id"})
async def get_product(request: web.Request) -> web.Response:
    product_id = request.match_info["product_id"]
    product = await request.app[CATALOG].product(product_id)
    if product is None:
        raise ProblemError(404, "Not Found", "No product has this id.")
    return web.json_response(ProductOut.of(product).model_dump())


async def _wire(app: web.Application) -> AsyncIterator[None]:
    store = ProductStore(await app[AWS].client("dynamodb"), physical("products"))
    app[CATALOG] = CatalogService(store)
    app[READINESS]["products_table"] = store.ping
    yield


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app.cleanup_ctx.append(_wire)
    app.router.add_get("/products", list_products)
    app.router.add_get("/products/{product_id}", get_product)
    return app
