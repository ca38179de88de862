"""Products in the DynamoDB table `products`: the only module of the catalog's HTTP side that
talks to it.

Items are `PRODUCT#<id>` (layout in `product_items`). The same table holds the inventory worker's
`RESERVATION#<order_id>` items, so every listing keeps to the key prefix. A category's listing
is a Query of the `by-category` index (eventually consistent, like every index read); the whole
catalog is a Scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from ecommerce.catalog.products.product import Product, ProductChanges
from ecommerce.catalog.products.product_items import (
    DELETED,
    IMAGES,
    LIVE,
    PRODUCT_PREFIX,
    Item,
    from_item,
    is_deleted,
    product_item_key,
    product_pk,
    readable,
    to_item,
)
from ecommerce.platform.dynamodb import condition_failed, scan_items, written

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

CATEGORY_INDEX = "by-category"
"""The products table's index on (category, pk) declared in `ecommerce.resources`."""
SCAN_BATCH = 100
"""Items DynamoDB evaluates per Scan call; filtered-out items count against it."""
MAX_SCANS_PER_PAGE = 5
"""Scan calls one page may cost; a page may come back short, with a cursor, after that."""


@dataclass(frozen=True)
class StockConflict:
    """The stock was not what the admin expected: someone (an order, most likely) changed it."""

    current: int


class ProductStore:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self._db = dynamodb
        self._table = table

    async def get(self, product_id: str) -> Product | None:
        response = await self._db.get_item(
            TableName=self._table, Key=product_item_key(product_id), ConsistentRead=True
        )
        item = cast(Item | None, response.get("Item"))
        return from_item(item) if item and not is_deleted(item) else None

    async def page(
        self, limit: int, after: str | None, category: str | None
    ) -> tuple[list[Product], str | None]:
        """Up to `limit` products after the key `after`, and the key to continue after, if any.

        A page may be shorter than `limit` and still have a next key; only `None` means the end.
        """
        if category is not None:
            return await self._category_page(limit, after, category)
        products: list[Product] = []
        start = after
        for _ in range(MAX_SCANS_PER_PAGE):
            response = await self._db.scan(**self._scan_request(start))
            matched = readable(response["Items"])
            room = limit - len(products)
            if len(matched) >= room:
                products.extend(matched[:room])
                if len(matched) > room or "LastEvaluatedKey" in response:
                    return products, product_pk(products[-1].id)
                return products, None
            products.extend(matched)
            if "LastEvaluatedKey" not in response:
                return products, None
            start = response["LastEvaluatedKey"]["pk"]["S"]
        return products, start

    async def add_if_absent(self, product: Product) -> bool:
        return await written(
            self._db.put_item(
                TableName=self._table,
                Item=to_item(product),
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    async def update(self, product_id: str, changes: ProductChanges, now: str) -> Product | None:
        """Set the given fields; None if there is no such product. Stock is never touched."""
        values: dict[str, Any] = {":now": {"S": now}}
        names: dict[str, str] = {}
        sets = ["updated_at = :now"]
        fields: dict[str, str | None] = {
            "name": changes.name,
            "description": changes.description,
            "category": changes.category,
        }
        if changes.price is not None:
            fields["currency"] = changes.price.currency
            values[":price_amount"] = {"N": str(changes.price.amount)}
            sets.append("price_amount = :price_amount")
        for name, value in fields.items():
            if value is not None:
                names[f"#{name}"] = name
                values[f":{name}"] = {"S": value}
                sets.append(f"#{name} = :{name}")
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": product_item_key(product_id),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": LIVE,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            response = await self._db.update_item(**request)
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return from_item(response["Attributes"])

    async def delete(self, product_id: str, now: str) -> bool:
        """Leave a tombstone (see `product_items`); False if there is no such product."""
        return await written(
            self._db.update_item(
                TableName=self._table,
                Key=product_item_key(product_id),
                UpdateExpression=f"SET {DELETED} = :now, updated_at = :now, stock = :zero "
                "REMOVE category",
                ConditionExpression=LIVE,
                ExpressionAttributeValues={":now": {"S": now}, ":zero": {"N": "0"}},
            )
        )

    async def remove_image(self, product_id: str, upload_id: str, now: str) -> bool:
        """Drop one entry of the product's images; False if there is no such entry."""
        return await written(
            self._db.update_item(
                TableName=self._table,
                Key=product_item_key(product_id),
                UpdateExpression=f"REMOVE {IMAGES}.#upload SET updated_at = :now",
                ConditionExpression=f"{LIVE} AND attribute_exists({IMAGES}.#upload)",
                ExpressionAttributeNames={"#upload": upload_id},
                ExpressionAttributeValues={":now": {"S": now}},
            )
        )

    async def set_stock(
        self, product_id: str, stock: int, expected: int, now: str
    ) -> Product | StockConflict | None:
        """Compare-and-set: stock becomes `stock` only if it is `expected` now, in one
        conditional write, so a reservation taken meanwhile is never overwritten unseen.

        None if there is no such product. Asking again for a change already made (the stock
        is `stock` already) succeeds, so a retried request is harmless.
        """
        try:
            response = await self._db.update_item(
                TableName=self._table,
                Key=product_item_key(product_id),
                UpdateExpression="SET stock = :new, updated_at = :now",
                ConditionExpression=f"{LIVE} AND stock = :expected",
                ExpressionAttributeValues={
                    ":new": {"N": str(stock)},
                    ":expected": {"N": str(expected)},
                    ":now": {"S": now},
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            old = cast(Item | None, error.response.get("Item"))
            if old is None:  # an emulator may not return it: read it
                old = (
                    await self._db.get_item(
                        TableName=self._table, Key=product_item_key(product_id), ConsistentRead=True
                    )
                ).get("Item")
            if not old or is_deleted(old):
                return None
            current = from_item(old)
            return current if current.stock == stock else StockConflict(current.stock)
        return from_item(response["Attributes"])

    async def category_counts(self) -> dict[str, int]:
        """How many products each category has, from the index (its keys only)."""
        counts: dict[str, int] = {}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": CATEGORY_INDEX,
            "ProjectionExpression": "#category, pk",
            "FilterExpression": "begins_with(pk, :prefix)",
            "ExpressionAttributeNames": {"#category": "category"},
            "ExpressionAttributeValues": {":prefix": {"S": PRODUCT_PREFIX}},
        }
        async for item in scan_items(self._db, request):
            category = item["category"]["S"]
            counts[category] = counts.get(category, 0) + 1
        return counts

    async def ping(self) -> None:
        await self._db.get_item(TableName=self._table, Key={"pk": {"S": "HEALTHCHECK"}})

    async def _category_page(
        self, limit: int, after: str | None, category: str
    ) -> tuple[list[Product], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": CATEGORY_INDEX,
            "KeyConditionExpression": "#category = :category AND begins_with(pk, :prefix)",
            "ExpressionAttributeNames": {"#category": "category"},
            "ExpressionAttributeValues": {
                ":category": {"S": category},
                ":prefix": {"S": PRODUCT_PREFIX},
            },
            "Limit": limit + 1,  # one more than asked: tells whether there is a next page
        }
        if after is not None:
            request["ExclusiveStartKey"] = {"category": {"S": category}, "pk": {"S": after}}
        response = await self._db.query(**request)
        items: list[Item] = response["Items"]
        if len(items) > limit:
            return readable(items[:limit]), items[limit - 1]["pk"]["S"]
        last = response.get("LastEvaluatedKey")
        return readable(items), last["pk"]["S"] if last else None

    def _scan_request(self, start: str | None) -> dict[str, Any]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Limit": SCAN_BATCH,
            "FilterExpression": f"begins_with(pk, :prefix) AND attribute_not_exists({DELETED})",
            "ExpressionAttributeValues": {":prefix": {"S": PRODUCT_PREFIX}},
        }
        if start is not None:
            request["ExclusiveStartKey"] = {"pk": {"S": start}}
        return request
