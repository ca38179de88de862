"""The images worker's writes to the products table: one entry of a product's `images` map.

Only UpdateItem, each with a condition that the product exists and is not deleted (the
worker's IAM policy allows nothing else on the table). An entry is keyed by upload id, so
recording the same upload again overwrites it: never a duplicate.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ecommerce.catalog.images.image_entries import image_entry, images_of
from ecommerce.catalog.images.product_image import ImageStatus, ProductImage
from ecommerce.catalog.products.product_items import IMAGES, LIVE, product_item_key
from ecommerce.platform.dynamodb import condition_failed, written

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


class Start(Enum):
    PROCEED = "proceed"
    DONE_ALREADY = "done_already"
    """This very object (same ETag) is already ready or rejected."""
    NO_PRODUCT = "no_product"


class ImageRecords:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._db = dynamodb
        self._table = table

    async def start(self, product_id: str, image: ProductImage) -> Start:
        """Mark the upload as processing unless this object is done already."""
        current = await self._images_map(product_id)
        if current is None:
            return Start.NO_PRODUCT
        previous = current.get(image.upload_id)
        if (
            previous is not None
            and previous.status is not ImageStatus.PROCESSING
            and (image.etag is None or previous.etag == image.etag)
        ):
            return Start.DONE_ALREADY
        started = await self._write(product_id, image, LIVE)
        return Start.PROCEED if started else Start.NO_PRODUCT

    async def record(self, product_id: str, image: ProductImage) -> bool:
        """Write the outcome over the entry `start` made; False if the product or the entry is
        gone (an admin deleted either meanwhile): nothing comes back from the dead."""
        return await self._write(
            product_id, image, f"{LIVE} AND attribute_exists({IMAGES}.#upload)"
        )

    async def _write(self, product_id: str, image: ProductImage, condition: str) -> bool:
        return await written(
            self._db.update_item(
                TableName=self._table,
                Key=product_item_key(product_id),
                UpdateExpression=f"SET {IMAGES}.#upload = :image",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#upload": image.upload_id},
                ExpressionAttributeValues={":image": image_entry(image)},
            )
        )

    async def _images_map(self, product_id: str) -> dict[str, ProductImage] | None:
        """The product's images, after making sure it has the map (products written before
        images existed do not); None if there is no such product."""
        try:
            response = await self._db.update_item(
                TableName=self._table,
                Key=product_item_key(product_id),
                UpdateExpression=f"SET {IMAGES} = if_not_exists({IMAGES}, :empty)",
                ConditionExpression=LIVE,
                ExpressionAttributeValues={":empty": {"M": {}}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return {image.upload_id: image for image in images_of(response["Attributes"].get(IMAGES))}
