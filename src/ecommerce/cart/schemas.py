"""The cart API's request bodies and response documents."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ecommerce.cart.domain import MAX_QUANTITY, MIN_QUANTITY, PricedCart, PricedLine
from ecommerce.events import Money
from ecommerce.platform.http.schema_types import JsonInt
from ecommerce.platform.text_patterns import PAYMENT_TOKEN


class SetQuantityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: JsonInt = Field(ge=MIN_QUANTITY, le=MAX_QUANTITY)


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_token: str = Field(
        min_length=1,
        max_length=100,
        pattern=PAYMENT_TOKEN,
        description="The processor's token or payment method id, e.g. tok_visa.",
    )


class CartLineOut(BaseModel):
    product_id: str
    quantity: int
    unit_price: Money | None
    line_total: Money | None
    available: bool
    """False when the product is no longer in the catalog: it has no price and blocks checkout."""

    @classmethod
    def of(cls, line: PricedLine) -> CartLineOut:
        return cls(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
            available=line.available,
        )


class CartItemOut(CartLineOut):
    """The answer to `PUT /cart/items/{product_id}`: the line as set, and the cart's version."""

    cart_version: int

    @classmethod
    def of_set(cls, line: PricedLine, version: int) -> CartItemOut:
        return cls(
            product_id=line.product_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
            available=line.available,
            cart_version=version,
        )


class CartOut(BaseModel):
    items: list[CartLineOut]
    total: Money | None
    """The sum of the available lines; null only if their currencies differ."""
    version: int

    @classmethod
    def of(cls, cart: PricedCart) -> CartOut:
        return cls(
            items=[CartLineOut.of(line) for line in cart.lines],
            total=cart.total,
            version=cart.version,
        )
