"""Products without I/O: the product record, money, and the rules for ids and categories."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from ecommerce.catalog.images.product_image import ProductImage
from ecommerce.events import PRODUCT_ID_PATTERN
from ecommerce.platform.text_patterns import trim

CURRENCY = "USD"
UNCATEGORIZED = "uncategorized"
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
MAX_STOCK = 1_000_000_000
MAX_PRICE = 100_000_000_000
"""In minor units: a billion dollars is not a price but a typo."""

_PRODUCT_ID = re.compile(PRODUCT_ID_PATTERN)
CATEGORY_PATTERN = r"[a-z0-9][a-z0-9-]{0,49}"
_CATEGORY = re.compile(CATEGORY_PATTERN)
_CURRENCY = re.compile(r"[A-Z]{3}")


class InvalidProduct(ValueError):
    pass


class InvalidCategory(ValueError):
    pass


@dataclass(frozen=True)
class Money:
    amount: int
    """Minor units (cents); never a float."""
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise InvalidProduct("a price is a whole number of minor units, 0 or more")
        if not _CURRENCY.fullmatch(self.currency):
            raise InvalidProduct("a currency is a three-letter ISO 4217 code")


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    description: str
    category: str
    price: Money
    stock: int
    created_at: str
    updated_at: str
    """ISO 8601, UTC."""
    images: tuple[ProductImage, ...] = ()

    def __post_init__(self) -> None:
        if not is_product_id(self.id):
            raise InvalidProduct(f"invalid product id {self.id!r}")
        if not self.name.strip():
            raise InvalidProduct("a product needs a name")
        if not _CATEGORY.fullmatch(self.category):
            raise InvalidProduct(f"invalid category {self.category!r}")
        if isinstance(self.stock, bool) or not isinstance(self.stock, int) or self.stock < 0:
            raise InvalidProduct("stock is a whole number, 0 or more")

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class ProductChanges:
    """An admin's partial update: None leaves a field as it is. Stock is not among them."""

    name: str | None = None
    description: str | None = None
    category: str | None = None
    price: Money | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in (self.name, self.description, self.category, self.price))


def new_product_id() -> str:
    return f"p-{uuid.uuid4().hex}"


def is_product_id(value: str) -> bool:
    """Letters, digits, `-` and `_`, up to 64: safe in a URL path and in a table key."""
    return _PRODUCT_ID.fullmatch(value) is not None


def normalise_category(raw: str) -> str:
    category = trim(raw).lower()
    if not _CATEGORY.fullmatch(category):
        raise InvalidCategory("a category is lower-case letters, digits and '-', up to 50")
    return category
