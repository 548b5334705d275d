"""Reads of the catalog."""

from django.db.models import QuerySet

from catalog.models import Product


def products() -> QuerySet[Product]:
    return Product.objects.all()


def get_product(product_id: str) -> Product:
    """Raises Product.DoesNotExist for an unknown id."""
    return Product.objects.get(product_id=product_id)
