"""The catalog API's response bodies. Orders reads `price` of `GET /products/{id}`: keep it.

Image URLs are presigned GETs that expire (`images.image_bucket.DOWNLOAD_EXPIRY_SECONDS`):
read the product again for fresh ones. Only `ready` images are in a product document; an
admin sees every upload, with its status and the reason of a rejection, at
`GET /products/{id}/images`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ecommerce.catalog.images.product_image import ProductImage
from ecommerce.catalog.products.product import Product


class MoneyOut(BaseModel):
    amount: int = Field(description="Minor units (cents).")
    currency: str = Field(description="ISO 4217 code.")


class ImageOut(BaseModel):
    id: str = Field(description="The upload id.")
    status: Literal["processing", "ready", "rejected"]
    uploaded_at: str
    url: str | None = Field(None, description="The original image (presigned, expires).")
    thumbnails: dict[str, str] = Field(
        default_factory=dict, description="Longest side in pixels => URL (presigned, expires)."
    )
    format: str | None = None
    width: int | None = None
    height: int | None = None
    reason: str | None = Field(None, description="Why the upload was rejected.")

    @classmethod
    def of(cls, image: ProductImage, url: str | None, thumbnails: dict[int, str]) -> ImageOut:
        facts = image.facts
        return cls(
            id=image.upload_id,
            status=image.status.value,
            uploaded_at=image.uploaded_at,
            url=url,
            thumbnails={str(size): link for size, link in sorted(thumbnails.items())},
            format=facts.format if facts else None,
            width=facts.width if facts else None,
            height=facts.height if facts else None,
            reason=image.reason,
        )


class ProductOut(BaseModel):
    id: str
    name: str
    description: str
    category: str
    price: MoneyOut
    stock: int
    thumbnail_url: str | None = Field(
        None, description="The smallest thumbnail of the product's main image, if it has one."
    )

    @classmethod
    def of(cls, product: Product, thumbnail_url: str | None = None) -> ProductOut:
        return cls(
            id=product.id,
            name=product.name,
            description=product.description,
            category=product.category,
            price=MoneyOut(amount=product.price.amount, currency=product.price.currency),
            stock=product.stock,
            thumbnail_url=thumbnail_url,
        )


class ProductDetailOut(ProductOut):
    images: list[ImageOut] = Field(description="Ready images, the main one first.")

    @classmethod
    def of_images(cls, product: Product, images: list[ImageOut]) -> ProductDetailOut:
        main = images[0].thumbnails if images else {}
        thumbnail = main[min(main, key=int)] if main else None
        return cls(**dict(ProductOut.of(product, thumbnail)), images=images)


class ProductPageOut(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done.")


class ImagesOut(BaseModel):
    items: list[ImageOut]


class CategoryOut(BaseModel):
    name: str
    count: int = Field(description="Products in the category.")


class CategoriesOut(BaseModel):
    items: list[CategoryOut]


class UploadOut(BaseModel):
    """A presigned S3 POST: send `fields` and then the file (as `file`) as multipart/form-data
    to `url`. S3 refuses a file outside the size range or without an image Content-Type."""

    upload_id: str
    key: str
    url: str
    fields: dict[str, str]
    expires_in: int = Field(description="Seconds the form is valid.")
    max_bytes: int
    content_types: list[str] = Field(description="The image types the worker accepts.")
