"""The catalog's one product write: create or update by product_id, idempotent."""

from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.product_input import ProductRow
from catalog.services import upsert_products

pytestmark = pytest.mark.django_db


def row(product_id: str, price: str = "9.99", in_stock: bool = True) -> ProductRow:
    return ProductRow.of(
        product_id,
        title=f"Lamp {product_id}",
        description="A lamp.",
        category="home/lighting",
        price=Decimal(price),
        in_stock=in_stock,
    )


def test_creates_updates_and_leaves_unchanged_rows_alone() -> None:
    first = upsert_products(rows=[row("A"), row("B")])
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)

    second = upsert_products(rows=[row("A"), row("B", price="12.50", in_stock=False)])
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    b = Product.objects.get(product_id="B")
    assert (b.price, b.in_stock) == (Decimal("12.50"), False)

    again = upsert_products(rows=[row("A"), row("B", price="12.50", in_stock=False)])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
