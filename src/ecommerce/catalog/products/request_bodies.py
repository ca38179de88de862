"""Request bodies of the admin routes. A bad body is a 422 problem with one entry per field.

Numbers are JSON integers: `5` and `5.0` are counts or prices, `"5"`, `5.5` and `true` are not.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from ecommerce.catalog.products.product import (
    CATEGORY_PATTERN,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PRICE,
    MAX_STOCK,
    InvalidCategory,
    Money,
    ProductChanges,
    normalise_category,
)
from ecommerce.platform.http.schema_types import JSON_INTEGER, JsonInt, leave_out_or_value
from ecommerce.platform.text_patterns import PADDING, VISIBLE, has_visible


def _visible(name: str) -> str:
    if not has_visible(name):
        raise ValueError("a name needs a visible character")
    return name


def _category(raw: str) -> str:
    try:
        return normalise_category(raw)
    except InvalidCategory as error:
        raise ValueError(str(error)) from error


CATEGORY_INPUT_PATTERN = rf"^{PADDING}{CATEGORY_PATTERN.replace('a-z', 'A-Za-z')}{PADDING}$"
"""What `normalise_category` takes: a category in any case, with whitespace around it."""

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(_visible),
    Field(json_schema_extra={"pattern": VISIBLE}),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION_LENGTH)
]
Category = Annotated[
    str,
    AfterValidator(_category),
    Field(
        description="Lower-case letters, digits and '-', up to 50 (input is trimmed and "
        "lower-cased).",
        json_schema_extra={"pattern": CATEGORY_INPUT_PATTERN},
    ),
]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK), JSON_INTEGER, Strict()]


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: JsonInt = Field(ge=0, le=MAX_PRICE, description="Minor units (cents).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD.")

    def to_money(self) -> Money:
        return Money(self.amount, self.currency)


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description = ""
    category: Category
    price: MoneyIn
    stock: Stock


class ProductPatch(BaseModel):
    """Any of the fields, each not null. Stock has its own route, which guards against races."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = Field(None, json_schema_extra=leave_out_or_value)
    description: Description | None = Field(None, json_schema_extra=leave_out_or_value)
    category: Category | None = Field(None, json_schema_extra=leave_out_or_value)
    price: MoneyIn | None = Field(None, json_schema_extra=leave_out_or_value)
    stock: SkipJsonSchema[Any] = None

    @field_validator("name", "description", "category", "price", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value

    @field_validator("stock", mode="before")
    @classmethod
    def _no_stock(cls, value: object) -> object:
        raise ValueError("stock is set with PUT /products/{id}/stock")

    def changes(self) -> ProductChanges:
        return ProductChanges(
            name=self.name,
            description=self.description,
            category=self.category,
            price=self.price.to_money() if self.price is not None else None,
        )


class StockIn(BaseModel):
    """Compare-and-set: the stock becomes `stock` only if it is `expected_stock` now."""

    model_config = ConfigDict(extra="forbid")

    stock: Stock
    expected_stock: Stock = Field(description="The stock you read (GET /products/{id}).")


class UploadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp"] | None = Field(
        None, description="Fills the form's Content-Type; any image/* may be sent otherwise."
    )
