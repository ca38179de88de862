"""The cart's pure rules: pricing, limits, stock checks, versions and checkout keys."""

import pytest

from ecommerce.cart.domain import (
    MAX_QUANTITY,
    CartLine,
    ProductSnapshot,
    cart_of,
    checkout_key,
    is_product_id,
    next_version,
    order_items,
    price_cart,
    quantity_allowed,
    shortfalls,
)
from ecommerce.events import Money


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


def product(
    product_id: str, amount: int, stock: int = 10, currency: str = "USD"
) -> ProductSnapshot:
    return ProductSnapshot(product_id, Money(amount=amount, currency=currency), stock)


def test_a_cart_is_priced_line_by_line_and_totalled() -> None:
    cart = cart_of({"p-2": 3, "p-1": 1}, version=7)
    priced = price_cart(cart, {"p-1": product("p-1", 2499), "p-2": product("p-2", 150)})

    assert [(line.product_id, line.quantity) for line in priced.lines] == [("p-1", 1), ("p-2", 3)]
    assert [line.line_total for line in priced.lines] == [usd(2499), usd(450)]
    assert priced.total == usd(2949)
    assert priced.version == 7


def test_a_product_gone_from_the_catalog_is_flagged_and_left_out_of_the_total() -> None:
    cart = cart_of({"p-1": 2, "gone": 5}, version=3)
    priced = price_cart(cart, {"p-1": product("p-1", 100), "gone": None})

    gone = next(line for line in priced.lines if line.product_id == "gone")
    assert (gone.available, gone.unit_price, gone.line_total, gone.quantity) == (
        False, None, None, 5
    )  # fmt: skip
    assert priced.total == usd(200)


def test_an_empty_cart_totals_zero() -> None:
    priced = price_cart(cart_of({}, version=0), {})
    assert priced.lines == ()
    assert priced.total == usd(0)


def test_lines_in_different_currencies_have_no_total() -> None:
    cart = cart_of({"a": 1, "b": 1}, version=1)
    priced = price_cart(cart, {"a": product("a", 100), "b": product("b", 100, currency="EUR")})
    assert priced.total is None
    assert all(line.available for line in priced.lines)


@pytest.mark.parametrize(
    ("quantity", "allowed"), [(0, False), (1, True), (100, True), (101, False)]
)
def test_quantities_run_from_one_to_a_hundred(quantity: int, allowed: bool) -> None:
    assert MAX_QUANTITY == 100
    assert quantity_allowed(quantity) is allowed


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("p-001", True),
        ("A_b-9", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("_version", False),
        ("_order", False),
        ("", False),
        ("../orders", False),
        ("p 1", False),
    ],
)
def test_product_ids_have_the_catalogs_shape_and_never_a_reserved_field(
    value: str, valid: bool
) -> None:
    assert is_product_id(value) is valid


def test_shortfalls_name_missing_products_and_short_stock() -> None:
    lines = [CartLine("ok", 2), CartLine("short", 5), CartLine("gone", 1), CartLine("exact", 3)]
    products = {
        "ok": product("ok", 1, stock=9),
        "short": product("short", 1, stock=4),
        "gone": None,
        "exact": product("exact", 1, stock=3),
    }
    found = shortfalls(lines, products)
    assert [(s.product_id, s.requested, s.available, s.reason) for s in found] == [
        ("short", 5, 4, "out_of_stock"),
        ("gone", 1, 0, "not_in_catalog"),
    ]


def test_the_checkout_key_is_derived_from_the_user_and_the_version() -> None:
    assert checkout_key("u-1", 42) == "cart-u-1-42"
    assert checkout_key("u-1", 42) == checkout_key("u-1", 42)
    assert checkout_key("u-1", 43) != checkout_key("u-1", 42)
    assert checkout_key("u-2", 42) != checkout_key("u-1", 42)
    assert len(checkout_key("0" * 36, 2**63 - 1)) <= 255


def test_a_version_rises_by_one_and_never_falls_below_the_clock() -> None:
    assert next_version(0, 0) == 1
    assert next_version(41, 0) == 42
    assert next_version(0, 1_700_000_000_000) == 1_700_000_000_000
    assert next_version(1_700_000_000_005, 1_700_000_000_000) == 1_700_000_000_006


def test_the_order_body_lists_lines_in_product_order_whatever_the_write_order() -> None:
    one = cart_of({"b": 1, "a": 2}, version=5)
    other = cart_of({"a": 2, "b": 1}, version=5)
    assert (
        order_items(one)
        == order_items(other)
        == [
            {"product_id": "a", "quantity": 2},
            {"product_id": "b", "quantity": 1},
        ]
    )
