"""Writes of the catalog: products by product_id, idempotent."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from catalog.models import Product
from core import clock

PRODUCT_FIELDS = ("title", "description", "category", "price", "in_stock")


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One product as an import gives it."""

    product_id: str
    title: str
    description: str
    category: str
    price: Decimal
    in_stock: bool


@dataclass
class ProductUpsert:
    """How many products an upsert created, changed and left alone."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@transaction.atomic
def upsert_products(*, rows: Iterable[ProductRow]) -> ProductUpsert:
    """Create or update products by product_id with bulk queries; rows that already match
    are not written, so a repeated import changes nothing."""
    wanted = {row.product_id: row for row in rows}
    existing = Product.objects.in_bulk(list(wanted), field_name="product_id")
    result = ProductUpsert()
    to_create, to_update = [], []
    for product_id, row in wanted.items():
        values = {name: getattr(row, name) for name in PRODUCT_FIELDS}
        product = existing.get(product_id)
        if product is None:
            to_create.append(Product(product_id=product_id, **values))
        elif any(getattr(product, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(product, name, value)
            product.updated_at = clock.now()
            to_update.append(product)
        else:
            result.unchanged += 1
    Product.objects.bulk_create(to_create, batch_size=500)
    Product.objects.bulk_update(to_update, [*PRODUCT_FIELDS, "updated_at"], batch_size=500)
    result.created, result.updated = len(to_create), len(to_update)
    return result
