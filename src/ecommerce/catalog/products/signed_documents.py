"""Products as the API shows them: the response models, with presigned URLs for the images.

Presigning is local CPU work (an HMAC), about a millisecond each with botocore: a listing
signs one thumbnail per product, a product document every ready image and thumbnail.
"""

from __future__ import annotations

from typing import Protocol

from ecommerce.catalog.images.product_image import ProductImage, all_images, ready_images
from ecommerce.catalog.products.product import Product
from ecommerce.catalog.products.response_bodies import ImageOut, ProductDetailOut, ProductOut


class UrlSigner(Protocol):
    async def url(self, key: str) -> str: ...


async def image_out(image: ProductImage, signer: UrlSigner) -> ImageOut:
    if not image.is_ready:
        return ImageOut.of(image, None, {})
    thumbnails = {size: await signer.url(key) for size, key in image.thumbnails}
    return ImageOut.of(image, await signer.url(image.key), thumbnails)


async def product_summary(product: Product, signer: UrlSigner) -> ProductOut:
    ready = ready_images(product.images)
    thumbnail = None
    if ready and ready[0].thumbnails:
        thumbnail = await signer.url(ready[0].thumbnails[0][1])
    return ProductOut.of(product, thumbnail)


async def product_detail(product: Product, signer: UrlSigner) -> ProductDetailOut:
    images = [await image_out(image, signer) for image in ready_images(product.images)]
    return ProductDetailOut.of_images(product, images)


async def uploads(product: Product, signer: UrlSigner) -> list[ImageOut]:
    """Every upload of the product, whatever its status (for admins)."""
    return [await image_out(image, signer) for image in all_images(product.images)]
