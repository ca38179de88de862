"""An admin runs the catalog over the edge of the whole stack: creates a product with stock,
uploads an image through the presigned POST, and sees its thumbnails on the product, made by
the images worker from the bucket's notification."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack
from PIL import Image

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

THUMBNAIL_WITHIN = 30.0


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


async def login(session: aiohttp.ClientSession, edge: str, email: str, password: str) -> str:
    async with session.post(
        f"{edge}/auth/login", json={"email": email, "password": password}
    ) as response:
        assert response.status == 200, await response.text()
        return str((await response.json())["access_token"])


async def customer_token(session: aiohttp.ClientSession, edge: str) -> str:
    email, password = f"shopper-{uuid.uuid4().hex[:8]}@example.com", "a-long-enough-password-1"
    async with session.post(
        f"{edge}/auth/register", json={"email": email, "password": password, "name": "Shopper"}
    ) as response:
        assert response.status == 201, await response.text()
    return await login(session, edge, email, password)


def jpeg(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), "teal")
    image.paste("yellow", (width // 4, height // 4, width // 2, height // 2))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


async def json_of(response: aiohttp.ClientResponse) -> Any:
    return await response.json(content_type=None)


async def test_an_admin_creates_a_product_uploads_an_image_and_its_thumbnail_appears(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    edge = stack.edge
    admin = {
        "Authorization": "Bearer "
        + await login(session, edge, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)
    }
    category = f"e2e-{uuid.uuid4().hex[:8]}"
    body = {
        "name": "Ceramic Mug",
        "description": "350 ml, dishwasher safe.",
        "category": category,
        "price": {"amount": 1450, "currency": "USD"},
        "stock": 25,
    }
    customer = {"Authorization": f"Bearer {await customer_token(session, edge)}"}
    async with session.post(f"{edge}/products", json=body, headers=customer) as refused:
        assert refused.status == 403
    async with session.post(f"{edge}/products", json=body) as anonymous:
        assert anonymous.status == 401

    async with session.post(f"{edge}/products", json=body, headers=admin) as created:
        assert created.status == 201, await created.text()
        product = await json_of(created)
    product_id = product["id"]
    assert (product["stock"], product["images"]) == (25, [])

    async with session.post(
        f"{edge}/products/{product_id}/images", json={"content_type": "image/jpeg"}, headers=admin
    ) as asked:
        assert asked.status == 201, await asked.text()
        form_spec = await json_of(asked)
    form = aiohttp.FormData()
    for name, value in form_spec["fields"].items():
        form.add_field(name, value)
    form.add_field("file", jpeg(1200, 900), filename="mug.jpg", content_type="image/jpeg")
    async with session.post(form_spec["url"], data=form) as posted:
        assert posted.status in (200, 201, 204), await posted.text()

    deadline = asyncio.get_running_loop().time() + THUMBNAIL_WITHIN
    while True:
        async with session.get(f"{edge}/products/{product_id}") as read:
            assert read.status == 200
            shown = await json_of(read)
        if shown["images"]:
            break
        if asyncio.get_running_loop().time() > deadline:
            async with session.get(f"{edge}/products/{product_id}/images", headers=admin) as r:
                uploads = await json_of(r)
            raise AssertionError(
                f"no ready image after {THUMBNAIL_WITHIN}s; uploads: {uploads}\n"
                + stack.output_tail()
            )
        await asyncio.sleep(0.3)

    [image] = shown["images"]
    assert (image["id"], image["status"]) == (form_spec["upload_id"], "ready")
    assert (image["format"], image["width"], image["height"]) == ("JPEG", 1200, 900)
    assert shown["thumbnail_url"] == image["thumbnails"]["128"]
    for side, size in (("128", (128, 96)), ("512", (512, 384))):
        async with session.get(image["thumbnails"][side]) as fetched:
            assert fetched.status == 200
            with Image.open(io.BytesIO(await fetched.read())) as thumbnail:
                assert (thumbnail.format, thumbnail.size) == ("WEBP", size)

    async with session.get(f"{edge}/products", params={"category": category}) as listed:
        page = await json_of(listed)
    assert [item["id"] for item in page["items"]] == [product_id]
    assert page["items"][0]["thumbnail_url"]
    async with session.get(f"{edge}/categories") as categories:
        counts = {c["name"]: c["count"] for c in (await json_of(categories))["items"]}
    assert counts[category] == 1, "the admin's write dropped the catalog's cached counts"

    async with session.put(
        f"{edge}/products/{product_id}/stock",
        json={"stock": 30, "expected_stock": 25},
        headers=admin,
    ) as restocked:
        assert restocked.status == 200
        assert (await json_of(restocked))["stock"] == 30
    async with session.delete(f"{edge}/products/{product_id}", headers=admin) as deleted:
        assert deleted.status == 204
    async with session.get(f"{edge}/products/{product_id}") as gone:
        assert gone.status == 404
