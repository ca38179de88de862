"""The payment token of an order or a checkout is visible ASCII (processors' ids are), so that
nothing PostgreSQL cannot store (a NUL) or a person cannot read reaches the stores."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from ecommerce.cart.schemas import CheckoutRequest
from ecommerce.orders.schemas import PlaceOrderRequest

LINES = {"items": [{"product_id": "p-001", "quantity": 1}]}


def bodies(token: str) -> list[tuple[type[BaseModel], dict[str, object]]]:
    return [
        (PlaceOrderRequest, {**LINES, "payment_token": token}),
        (CheckoutRequest, {"payment_token": token}),
    ]


@pytest.mark.parametrize("token", ["tok_visa", "pm_card_authenticationRequired", "x" * 100])
def test_processor_tokens_are_taken(token: str) -> None:
    for model, body in bodies(token):
        assert model.model_validate(body).model_dump()["payment_token"] == token


@pytest.mark.parametrize("token", ["\x00ab", "tok visa", "tok_\u00e9", "\x07", "tok\n", ""])
def test_anything_else_is_refused(token: str) -> None:
    for model, body in bodies(token):
        with pytest.raises(ValidationError) as error:
            model.model_validate(body)
        assert [e["loc"] for e in error.value.errors()] == [("payment_token",)]
