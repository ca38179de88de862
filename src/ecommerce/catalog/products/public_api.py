"""The catalog frontend: public product reads and categories here, the admin routes in
`admin_api`. Each handler describes itself for the service's `/openapi.json`."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from ecommerce.catalog.images.image_bucket import ImageBucket, presigning_s3
from ecommerce.catalog.products.admin_api import ADMIN, MEDIA, PRODUCT_ID, TAGS
from ecommerce.catalog.products.admin_api import routes as admin_routes
from ecommerce.catalog.products.admin_use_cases import CatalogAdmin
from ecommerce.catalog.products.browsing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CatalogService
from ecommerce.catalog.products.categories import CategoryCounts
from ecommerce.catalog.products.change_events import ProductEvents
from ecommerce.catalog.products.product import InvalidCategory
from ecommerce.catalog.products.product_store import ProductStore
from ecommerce.catalog.products.request_bodies import CATEGORY_INPUT_PATTERN
from ecommerce.catalog.products.response_bodies import (
    CategoriesOut,
    CategoryOut,
    ProductDetailOut,
    ProductPageOut,
)
from ecommerce.catalog.products.signed_documents import product_detail, product_summary
from ecommerce.platform.config import Settings
from ecommerce.platform.cursor import MAX_CURSOR_LENGTH
from ecommerce.platform.http.app import AWS, READINESS, SETTINGS, create_app
from ecommerce.platform.http.openapi import Param, operation
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import IntQuery
from ecommerce.platform.messaging.publisher import EventPublisher
from ecommerce.resources import physical

CATALOG = web.AppKey("catalog", CatalogService)
CATEGORIES = web.AppKey("categories", CategoryCounts)

routes = web.RouteTableDef()

LIMIT = IntQuery("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
CURSOR = Param(
    "cursor",
    "query",
    "`next_cursor` of the previous page (opaque)",
    schema={
        "type": "string",
        "format": "catalog-cursor",
        "pattern": f"^[A-Za-z0-9_-]{{0,{MAX_CURSOR_LENGTH}}}$",
    },
)
CATEGORY = Param(
    "category",
    "query",
    "Only the products of this category (empty: every category)",
    schema={"type": "string", "pattern": f"^$|{CATEGORY_INPUT_PATTERN}"},
)


@routes.get("/products")
@operation(
    "A page of products, optionally of one category",
    description="Follow `next_cursor` until it is null; a page may be shorter than `limit` "
    "before the end. A category's listing reads an index, so it may lag a write by a moment.",
    response=ProductPageOut,
    params=[LIMIT.param, CURSOR, CATEGORY],
    errors={400: "A bad limit, cursor or category"},
    tags=TAGS,
)
async def list_products(request: web.Request) -> web.Response:
    limit = LIMIT.read(request)
    try:
        page = await request.app[CATALOG].products(
            limit=limit,
            cursor=request.query.get("cursor") or None,
            category=request.query.get("category") or None,
        )
    except InvalidCategory as error:
        raise ProblemError(400, "Invalid query parameter", f"category: {error}") from error
    media = request.app[MEDIA]
    items = [await product_summary(product, media) for product in page.items]
    return web.json_response(ProductPageOut(items=items, next_cursor=page.next_cursor).model_dump())


@routes.get("/products/{product_id}")
@operation(
    "One product, with fetchable URLs of its ready images and their thumbnails",
    description="Image URLs are presigned and expire: read the product again for fresh ones.",
    response=ProductDetailOut,
    params=[PRODUCT_ID],
    errors={404: "No product has this id"},
    tags=TAGS,
)
async def get_product(request: web.Request) -> web.Response:
    product = await request.app[CATALOG].product(request.match_info["product_id"])
    if product is None:
        raise ProblemError(404, "Not Found", "No product has this id.")
    return web.json_response((await product_detail(product, request.app[MEDIA])).model_dump())


@routes.get("/categories")
@operation(
    "Every category that has products, with how many",
    description="Counted from the products and cached for up to 30 s.",
    response=CategoriesOut,
    tags=TAGS,
)
async def list_categories(request: web.Request) -> web.Response:
    counts = await request.app[CATEGORIES].get()
    items = [CategoryOut(name=name, count=count) for name, count in counts]
    return web.json_response(CategoriesOut(items=items).model_dump())


async def _wire(app: web.Application) -> AsyncIterator[None]:
    store = ProductStore(await app[AWS].client("dynamodb"), physical("products"))
    categories = CategoryCounts(store.category_counts)
    async with presigning_s3(app[SETTINGS].region) as s3:
        media = ImageBucket(s3, physical("product-images"))
        app[CATALOG] = CatalogService(store)
        app[CATEGORIES] = categories
        app[MEDIA] = media
        events = ProductEvents(
            EventPublisher(await app[AWS].client("sns"), app[SETTINGS].topic_arn)
        )
        app[ADMIN] = CatalogAdmin(store, media, changed=categories.invalidate, events=events)
        app[READINESS]["products_table"] = store.ping
        yield


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app.cleanup_ctx.append(_wire)
    app.router.add_routes(routes)
    app.router.add_routes(admin_routes)
    return app
