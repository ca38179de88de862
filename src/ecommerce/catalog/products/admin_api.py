"""The admin routes of the catalog. Each checks the admin role first (401 without a valid
token, 403 for a customer), so nothing about the body or the product leaks to others."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from ecommerce.catalog.images.image_bucket import ImageBucket
from ecommerce.catalog.images.product_image import CONTENT_TYPES, MAX_UPLOAD_BYTES
from ecommerce.catalog.products.admin_use_cases import CatalogAdmin, TooManyImages
from ecommerce.catalog.products.product_store import StockConflict
from ecommerce.catalog.products.request_bodies import ProductIn, ProductPatch, StockIn, UploadIn
from ecommerce.catalog.products.response_bodies import ImagesOut, ProductDetailOut, UploadOut
from ecommerce.catalog.products.signed_documents import product_detail, uploads
from ecommerce.events import PRODUCT_ID_PATTERN
from ecommerce.platform.http.auth import require_admin
from ecommerce.platform.http.openapi import Link, Param, operation
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import read_json

ADMIN = web.AppKey("catalog_admin", CatalogAdmin)
MEDIA = web.AppKey("catalog_media", ImageBucket)

NOT_FOUND = "No product has this id."
PRODUCT_ID = Param(
    "product_id",
    "path",
    "A product id",
    schema={"type": "string", "pattern": f"^{PRODUCT_ID_PATTERN}$"},
)
TAGS = ("catalog",)

routes = web.RouteTableDef()


def _not_found() -> ProblemError:
    return ProblemError(404, "Not Found", NOT_FOUND)


def _json(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(), status=status)


@routes.post("/products")
@operation(
    "Create a product; its id is generated",
    request=ProductIn,
    response=ProductDetailOut,
    status=201,
    response_description="Created; `Location` names it",
    auth="admin",
    links={
        name: Link(target, {"product_id": "$response.body#/id"})
        for name, target in (
            ("ReadProduct", "get_product"),
            ("ChangeProduct", "change_product"),
            ("SetStock", "set_stock"),
            ("RequestUpload", "request_upload"),
            ("ListUploads", "list_uploads"),
            ("DeleteProduct", "delete_product"),
        )
    },
    tags=TAGS,
)
async def create_product(request: web.Request) -> web.Response:
    require_admin(request)
    body = await read_json(request, ProductIn)
    product = await request.app[ADMIN].create(
        name=body.name,
        description=body.description,
        category=body.category,
        price=body.price.to_money(),
        stock=body.stock,
    )
    response = _json(await product_detail(product, request.app[MEDIA]), 201)
    response.headers["Location"] = f"/products/{product.id}"
    return response


@routes.patch("/products/{product_id}")
@operation(
    "Change some of a product's fields",
    description="Name, description, category, price; each field left out is kept. Stock is "
    "set with `PUT /products/{product_id}/stock`.",
    request=ProductPatch,
    response=ProductDetailOut,
    auth="admin",
    params=[PRODUCT_ID],
    errors={404: NOT_FOUND},
    tags=TAGS,
)
async def change_product(request: web.Request) -> web.Response:
    require_admin(request)
    body = await read_json(request, ProductPatch)
    product = await request.app[ADMIN].change(request.match_info["product_id"], body.changes())
    if product is None:
        raise _not_found()
    return _json(await product_detail(product, request.app[MEDIA]))


@routes.delete("/products/{product_id}")
@operation(
    "Delete a product",
    description="It is gone from reads, listings and categories at once, and cannot be "
    "ordered. Deleting it again is a 404.",
    status=204,
    response_description="Deleted",
    auth="admin",
    params=[PRODUCT_ID],
    errors={404: NOT_FOUND},
    tags=TAGS,
)
async def delete_product(request: web.Request) -> web.Response:
    require_admin(request)
    if not await request.app[ADMIN].delete(request.match_info["product_id"]):
        raise _not_found()
    return web.Response(status=204)


@routes.put("/products/{product_id}/stock")
@operation(
    "Set the stock, if it still is what you read",
    description="Compare-and-set in one conditional write: the stock becomes `stock` only if "
    "it is `expected_stock` now, so stock an order reserved meanwhile is never overwritten "
    "unseen; you get a 409 with `current_stock` instead. Repeating a request that succeeded "
    "succeeds.",
    request=StockIn,
    response=ProductDetailOut,
    auth="admin",
    params=[PRODUCT_ID],
    errors={404: NOT_FOUND, 409: "The stock is not `expected_stock`: see `current_stock`"},
    tags=TAGS,
)
async def set_stock(request: web.Request) -> web.Response:
    require_admin(request)
    body = await read_json(request, StockIn)
    outcome = await request.app[ADMIN].set_stock(
        request.match_info["product_id"], body.stock, body.expected_stock
    )
    if outcome is None:
        raise _not_found()
    if isinstance(outcome, StockConflict):
        raise ProblemError(
            409,
            "Stock changed",
            f"The stock is {outcome.current}, not {body.expected_stock}: it changed since it "
            "was read (an order may have reserved some). Read it again and decide.",
            current_stock=outcome.current,
        )
    return _json(await product_detail(outcome, request.app[MEDIA]))


@routes.post("/products/{product_id}/images")
@operation(
    "A presigned S3 POST for one new image of the product",
    description="POST `fields` and then the file (as `file`) as multipart/form-data to `url` "
    "before `expires_in` seconds. The images worker then checks it (JPEG, PNG or WEBP, up "
    "to `max_bytes`) and makes its thumbnails; it shows on `GET /products/{product_id}` once "
    "ready, and with its status on `GET /products/{product_id}/images`. The body is optional.",
    request=UploadIn,
    response=UploadOut,
    status=201,
    auth="admin",
    params=[PRODUCT_ID],
    errors={404: NOT_FOUND, 409: "The product has as many images as it may have"},
    tags=TAGS,
)
async def request_upload(request: web.Request) -> web.Response:
    require_admin(request)
    body = await read_json(request, UploadIn) if request.body_exists else UploadIn()
    try:
        upload = await request.app[ADMIN].request_upload(
            request.match_info["product_id"], body.content_type
        )
    except TooManyImages as error:
        raise ProblemError(409, "Too many images", str(error)) from error
    if upload is None:
        raise _not_found()
    out = UploadOut(
        upload_id=upload.upload_id,
        key=upload.key,
        url=upload.form.url,
        fields=upload.form.fields,
        expires_in=upload.form.expires_in,
        max_bytes=MAX_UPLOAD_BYTES,
        content_types=sorted(CONTENT_TYPES),
    )
    return _json(out, 201)


@routes.delete("/products/{product_id}/images/{upload_id}")
@operation(
    "Forget one upload of a product, whatever its status",
    description="It leaves the product at once; its objects stay in the bucket.",
    status=204,
    response_description="Forgotten",
    auth="admin",
    params=[PRODUCT_ID, Param("upload_id", "path", "An upload id")],
    errors={404: "No such product, or no such upload of it"},
    tags=TAGS,
)
async def delete_upload(request: web.Request) -> web.Response:
    require_admin(request)
    info = request.match_info
    if not await request.app[ADMIN].remove_image(info["product_id"], info["upload_id"]):
        raise ProblemError(404, "Not Found", "The product has no upload with this id.")
    return web.Response(status=204)


@routes.get("/products/{product_id}/images")
@operation(
    "Every upload of a product: processing, ready, or rejected with the reason",
    response=ImagesOut,
    auth="admin",
    params=[PRODUCT_ID],
    errors={404: NOT_FOUND},
    tags=TAGS,
)
async def list_uploads(request: web.Request) -> web.Response:
    require_admin(request)
    product = await request.app[ADMIN].product(request.match_info["product_id"])
    if product is None:
        raise _not_found()
    return _json(ImagesOut(items=await uploads(product, request.app[MEDIA])))
