from ecommerce.catalog.inventory.reservation import Line, lines_of, short_products
from ecommerce.events import LineItem, Money


def item(product_id: str, quantity: int) -> LineItem:
    return LineItem(
        product_id=product_id, quantity=quantity, unit_price=Money(amount=1, currency="USD")
    )


def test_lines_merge_duplicates_and_sort() -> None:
    assert lines_of([item("b", 1), item("a", 2), item("b", 3)]) == (Line("a", 2), Line("b", 4))


def test_short_products_map_failed_indexes() -> None:
    lines = (Line("a", 1), Line("b", 1), Line("c", 1))
    assert short_products(lines, [0, 2]) == ("a", "c")
    assert short_products(lines, [7]) == ()
