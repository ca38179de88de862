"""Products in the DynamoDB table `products`: the only module of the catalog's HTTP side that
talks to it.

Items are `PRODUCT#<id>`. The same table holds the inventory worker's `RESERVATION#<order_id>`
items, so every listing filters on the key prefix.
"""

from __future__ import annotations

from typing import Any, cast

from botocore.exceptions import ClientError

from ecommerce.catalog.domain import Product
from ecommerce.catalog.items import PRODUCT_PREFIX, Item, from_item, product_key, readable, to_item

SCAN_BATCH = 100
"""Items DynamoDB evaluates per Scan call; filtered-out items count against it."""
MAX_SCANS_PER_PAGE = 5
"""Scan calls one page may cost; a page may come back short, with a cursor, after that."""


class ProductStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    async def get(self, product_id: str) -> Product | None:
        response = await self._db.get_item(
            TableName=self._table, Key={"pk": {"S": product_key(product_id)}}, ConsistentRead=True
        )
        item = cast(Item | None, response.get("Item"))
        return from_item(item) if item else None

    async def page(
        self, limit: int, after: str | None, category: str | None
    ) -> tuple[list[Product], str | None]:
        """Up to `limit` products after the key `after`, and the key to continue after, if any.

        A page may be shorter than `limit` and still have a next key; only `None` means the end.
        """
        products: list[Product] = []
        start = after
        for _ in range(MAX_SCANS_PER_PAGE):
            response = await self._db.scan(**self._scan_request(start, category))
            matched = readable(response["Items"])
            room = limit - len(products)
            if len(matched) >= room:
                products.extend(matched[:room])
                if len(matched) > room or "LastEvaluatedKey" in response:
                    return products, product_key(products[-1].id)
                return products, None
            products.extend(matched)
            if "LastEvaluatedKey" not in response:
                return products, None
            start = response["LastEvaluatedKey"]["pk"]["S"]
        return products, start

    async def add_if_absent(self, product: Product) -> bool:
        try:
            await self._db.put_item(
                TableName=self._table,
                Item=to_item(product),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def ping(self) -> None:
        await self._db.get_item(TableName=self._table, Key={"pk": {"S": "HEALTHCHECK"}})

    def _scan_request(self, start: str | None, category: str | None) -> dict[str, Any]:
        condition = "begins_with(pk, :prefix)"
        values: dict[str, Any] = {":prefix": {"S": PRODUCT_PREFIX}}
        request: dict[str, Any] = {"TableName": self._table, "Limit": SCAN_BATCH}
        if category is not None:
            condition += " AND #category = :category"
            values[":category"] = {"S": category}
            request["ExpressionAttributeNames"] = {"#category": "category"}
        request.update(FilterExpression=condition, ExpressionAttributeValues=values)
        if start is not None:
            request["ExclusiveStartKey"] = {"pk": {"S": start}}
        return request
