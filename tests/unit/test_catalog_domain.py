import pytest

from ecommerce.catalog.products.product import (
    InvalidCategory,
    InvalidProduct,
    Money,
    Product,
    is_product_id,
    normalise_category,
)


def product(**changes: object) -> Product:
    fields: dict[str, object] = {
        "id": "p-001",
        "name": "Espresso Beans",
        "description": "Dark roast.",
        "category": "grocery",
        "price": Money(2499, "USD"),
        "stock": 3,
        "created_at": "2030-01-01T00:00:00+00:00",
        "updated_at": "2030-01-01T00:00:00+00:00",
    }
    fields.update(changes)
    return Product(**fields)  # type: ignore[arg-type]


def test_a_valid_product_builds() -> None:
    assert product().in_stock
    assert not product(stock=0).in_stock


@pytest.mark.parametrize(
    "changes",
    [
        {"id": ""},
        {"id": "p/001"},
        {"id": "x" * 65},
        {"name": "  "},
        {"category": "Grocery"},
        {"category": "dry goods"},
        {"stock": -1},
        {"stock": 1.5},
        {"stock": True},
    ],
)
def test_an_invalid_product_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidProduct):
        product(**changes)


@pytest.mark.parametrize(("amount", "currency"), [(-1, "USD"), (19.99, "USD"), (1, "usd"), (1, "")])
def test_money_is_whole_minor_units_with_an_iso_currency(amount: object, currency: str) -> None:
    with pytest.raises(InvalidProduct):
        Money(amount, currency)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["p-001", "P_1", "sku123", "a" * 64])
def test_product_ids_that_fit_a_url_and_a_key(value: str) -> None:
    assert is_product_id(value)


@pytest.mark.parametrize("value", ["", "-p", "p 1", "p/1", "p#1", "a" * 65, "é"])
def test_product_ids_that_do_not(value: str) -> None:
    assert not is_product_id(value)


def test_a_category_is_trimmed_and_lower_cased() -> None:
    assert normalise_category("  Home-Office ") == "home-office"


@pytest.mark.parametrize("raw", ["", " ", "home office", "home/office", "x" * 51, "-home"])
def test_a_bad_category_is_refused(raw: str) -> None:
    with pytest.raises(InvalidCategory):
        normalise_category(raw)
