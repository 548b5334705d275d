"""One normalization for every way in: equal after normalization means unchanged."""

from decimal import Decimal

import pytest

from catalog.product_input import InvalidProduct, clean_product


def test_values_are_normalized_so_equal_items_compare_equal() -> None:
    a = clean_product({"product_id": " A ", "price": 12.5, "category": "Home > Kitchen "})
    b = clean_product({"product_id": "A", "price": "12.50", "category": "home/kitchen"})
    assert a == b
    assert a.values == {"price": Decimal("12.50"), "category": "home/kitchen"}


def test_a_stock_count_alone_says_whether_it_sells() -> None:
    assert clean_product({"product_id": "A", "stock": 0}).values["in_stock"] is False
    assert clean_product({"product_id": "A", "stock": "4"}).values["in_stock"] is True
    both = clean_product({"product_id": "A", "stock": 0, "in_stock": True})
    assert both.values["in_stock"] is True  # backorders: the shop says so


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"product_id": "has space"}, "product_id"),
        ({"product_id": "A", "price": -1}, "price"),
        ({"product_id": "A", "price": float("nan")}, "price"),
        ({"product_id": "A", "currency": "euro"}, "currency"),
        ({"product_id": "A", "url": "javascript:alert(1)"}, "url"),
        ({"product_id": "A", "image_url": "//evil.example/x.png"}, "image_url"),
        ({"product_id": "A", "image_url": 'https://x.example/"onerror="'}, "image_url"),
        ({"product_id": "A", "stock": 1.5}, "stock"),
        ({"product_id": "A", "attributes": {"a": {"nested": 1}}}, "attributes"),
        ({"product_id": "A", "title": ""}, "title"),
        ({"product_id": "A", "prize": 1}, "prize"),
    ],
)
def test_bad_values_name_their_field(item: dict, field: str) -> None:
    with pytest.raises(InvalidProduct) as caught:
        clean_product(item)
    assert field in caught.value.errors
