"""The catalog API's response bodies. Orders reads `price` of `GET /products/{id}`: keep it."""

from __future__ import annotations

from pydantic import BaseModel

from ecommerce.catalog.domain import Product
from ecommerce.catalog.service import ProductPage


class MoneyOut(BaseModel):
    amount: int
    currency: str


class ProductOut(BaseModel):
    id: str
    name: str
    description: str
    category: str
    price: MoneyOut
    stock: int

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            id=product.id,
            name=product.name,
            description=product.description,
            category=product.category,
            price=MoneyOut(amount=product.price.amount, currency=product.price.currency),
            stock=product.stock,
        )


class ProductPageOut(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: ProductPage) -> ProductPageOut:
        return cls(items=[ProductOut.of(p) for p in page.items], next_cursor=page.next_cursor)
