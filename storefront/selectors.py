"""Reads for the demo shop: products, categories and the session cart."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from catalog.models import Product
from storefront.category_display import category_label
from tracking.customer_keys import customer_key
from tracking.models import VisitorProfile
from tracking.selectors import resolve_visitor_id

SEARCH_LIMIT = 48
FEATURED_LIMIT = 8
CART_SESSION_KEY = "pz_cart"


@dataclass(frozen=True)
class CategoryCount:
    path: str
    count: int

    @property
    def name(self) -> str:
        return category_label(self.path)


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def subtotal(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class Cart:
    lines: list[CartLine]

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0"))

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)


def get_product(product_id: str) -> Product:
    """Raises Product.DoesNotExist for an unknown id."""
    return Product.objects.get(product_id=product_id)


def products_in_category(category: str) -> QuerySet[Product]:
    """Products of a category and of all its subcategories."""
    category = category.strip("/")
    return Product.objects.filter(Q(category=category) | Q(category__startswith=f"{category}/"))


def search_products(query: str, *, limit: int = SEARCH_LIMIT) -> list[Product]:
    if not query.strip():
        return []
    return list(Product.objects.filter(title__icontains=query.strip())[:limit])


def featured_products(*, limit: int = FEATURED_LIMIT) -> list[Product]:
    """The newest products in stock (cheap; recommendations replace this placement)."""
    return list(Product.objects.filter(in_stock=True).order_by("-created_at", "title")[:limit])


def related_products(product: Product, *, limit: int = 4) -> list[Product]:
    """Other products of the same category: the fallback below a product page."""
    return list(
        Product.objects.filter(category=product.category, in_stock=True)
        .exclude(pk=product.pk)
        .order_by("title")[:limit]
    )


def category_counts() -> list[CategoryCount]:
    """Every stored category path with its number of products."""
    rows = Product.objects.values("category").annotate(n=Count("id")).order_by("category")
    return [CategoryCount(path=row["category"], count=row["n"]) for row in rows]


def subcategories(parent: str | None = None) -> list[CategoryCount]:
    """Direct children of `parent` (top-level categories when None), with product counts
    that include their own subcategories."""
    prefix = f"{parent.strip('/')}/" if parent else ""
    depth = prefix.count("/")
    totals: dict[str, int] = {}
    for row in category_counts():
        if not row.path.startswith(prefix) or row.path == prefix.rstrip("/"):
            continue
        child = "/".join(row.path.split("/")[: depth + 1])
        totals[child] = totals.get(child, 0) + row.count
    return [CategoryCount(path=path, count=count) for path, count in sorted(totals.items())]


def cart_contents(session: Mapping[str, object]) -> Cart:
    """The session cart with its products, in the order they were added; products that
    no longer exist are left out."""
    quantities = session.get(CART_SESSION_KEY) or {}
    if not isinstance(quantities, dict):
        quantities = {}
    products = Product.objects.in_bulk(list(quantities), field_name="product_id")
    return Cart(
        lines=[
            CartLine(product=products[pid], quantity=int(qty))
            for pid, qty in quantities.items()
            if pid in products
        ]
    )


def cart_quantity(session: Mapping[str, object]) -> int:
    """Items in the session cart, without a database query (for the header badge)."""
    quantities = session.get(CART_SESSION_KEY) or {}
    return sum(int(qty) for qty in quantities.values()) if isinstance(quantities, dict) else 0


def belongs_to_another_customer(visitor_id: str, customer_id: str) -> bool:
    """Whether this browser's visitor is already stitched to a different customer."""
    stored = (
        VisitorProfile.objects.filter(visitor_id=resolve_visitor_id(visitor_id))
        .values_list("customer_key", flat=True)
        .first()
    )
    return stored is not None and stored != customer_key(
        customer_id, settings.PZ_CUSTOMER_ID_PEPPER
    )
