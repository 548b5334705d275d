"""What a product item may hold and how it is normalized: pure functions, no Django.

Every way into the catalog (`PUT /products`, `import_products`, the admin upload) turns
its input into plain item dicts with pz's field names and passes them through
`clean_product`, so they validate and normalize alike: prices to the cent (12.5 and
"12.50" are equal), categories to lower-case "a/b" paths (tracking stores interest the
same way), currencies upper-case, links only `/path` or http(s). An item holds only the
fields it was given: the rest of a stored product is kept.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from core.client_input import INVALID_TEXT, find_unstorable, invalid_text

PRODUCT_ID_MAX = 64
MAX_PRICE = Decimal("9999999999.99")
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_VALUE = 1000
_CENT = Decimal("0.01")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_CATEGORY_SPLIT_RE = re.compile(r"\s*(?:/|>)\s*")
_TRUE = frozenset({"true", "1", "yes", "y", "in stock", "in_stock", "instock", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "out of stock", "out_of_stock", "outofstock", "f"})

# Field -> the longest text it stores.
TEXT_FIELDS = {
    "title": 255,
    "description": 20_000,
    "brand": 255,
    "url": 2000,
    "image_url": 2000,
}
FIELDS = (
    "title",
    "description",
    "url",
    "image_url",
    "price",
    "sale_price",
    "currency",
    "category",
    "brand",
    "in_stock",
    "stock",
    "attributes",
)
UNKNOWN_FIELD = f"unknown field; the fields are product_id, {', '.join(FIELDS)}"
# A product that does not exist yet needs these.
REQUIRED_ON_CREATE = ("title", "price")


class InvalidProduct(ValueError):
    """An item that cannot be stored; `errors` maps each bad field to why."""

    def __init__(self, errors: dict[str, str], product_id: str | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.product_id = product_id


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One normalized product item: its id and the fields it gives (others are kept)."""

    product_id: str
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, product_id: str, **values: Any) -> "ProductRow":
        """A row from already clean values (code that builds rows itself, e.g. the demo)."""
        return cls(product_id, values)


def _text(value: Any, name: str, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if invalid_text(value):
        raise ValueError(INVALID_TEXT)
    text: str = value.strip()
    if len(text) > limit:
        raise ValueError(f"at most {limit} characters")
    return text


def clean_money(value: Any) -> Decimal:
    """A non-negative amount to the cent: 12.5, "12.50" and "12.50 EUR"'s number part."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError("must be a number") from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a number of at least 0")
    # Compare first: quantizing a huge amount (1e30) to the cent exceeds the precision.
    if amount <= MAX_PRICE:
        amount = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if amount > MAX_PRICE:
        raise ValueError(f"at most {MAX_PRICE}")
    return amount


def clean_category(value: Any) -> str:
    """ "Home & Garden > Kitchen" and "home & garden/kitchen" are one lower-case path."""
    text = _text(value, "category", 1000).lower()
    levels = [" ".join(level.split()) for level in _CATEGORY_SPLIT_RE.split(text)]
    path = "/".join(level for level in levels if level)
    if len(path) > 255:
        raise ValueError("at most 255 characters")
    return path


def clean_link(value: Any, name: str) -> str:
    """A path on the shop ("/p/sku-1") or an http(s) URL; nothing a browser would run."""
    link = _text(value, name, TEXT_FIELDS[name])
    if not link:
        return ""
    lowered = link.lower()
    if lowered.startswith(("http://", "https://")) and len(link) > len("https://"):
        if any(c.isspace() or c in "<>\"'" for c in link):
            raise ValueError("must not contain spaces, quotes or angle brackets")
        return link
    if link.startswith("/") and not link.startswith("//") and not any(c.isspace() for c in link):
        return link
    raise ValueError("must be a path starting with / or an http(s) URL")


def clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def clean_stock(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("must be a whole number of at least 0")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or value < 0 or value > 2_147_483_647:
        raise ValueError("must be a whole number of at least 0")
    return value


def clean_attributes(value: Any) -> dict[str, Any]:
    """Free shop attributes: string keys, scalar values or lists of scalars."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("must be an object")
    if len(value) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_ATTRIBUTE_KEY:
            raise ValueError(f"keys are 1 to {MAX_ATTRIBUTE_KEY} characters")
        values = item if isinstance(item, list) else [item]
        for one in values:
            if isinstance(one, dict | list):
                raise ValueError(f"{key}: values are strings, numbers, booleans or lists of them")
            if isinstance(one, str) and len(one) > MAX_ATTRIBUTE_VALUE:
                raise ValueError(f"{key}: at most {MAX_ATTRIBUTE_VALUE} characters")
        cleaned[key.strip()] = item
    found = find_unstorable(cleaned, path="attributes")
    if found is not None:
        raise ValueError(f"{found[0]}: {found[1]}")
    return cleaned


def clean_product_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is required")
    product_id: str = value.strip()
    if (
        len(product_id) > PRODUCT_ID_MAX
        or invalid_text(product_id)
        or any(c.isspace() for c in product_id)
    ):
        raise ValueError(f"1 to {PRODUCT_ID_MAX} characters without spaces")
    return product_id


def clean_product(item: Any) -> ProductRow:
    """Validate and normalize one item; raises InvalidProduct naming every bad field."""
    if not isinstance(item, Mapping):
        raise InvalidProduct({"item": "must be an object"})
    errors: dict[str, str] = {}
    product_id = None
    try:
        product_id = clean_product_id(item.get("product_id"))
    except ValueError as exc:
        errors["product_id"] = str(exc)
    values: dict[str, Any] = {}
    for name, raw in item.items():
        if name == "product_id":
            continue
        try:
            if name in ("url", "image_url"):
                values[name] = clean_link(raw, name)
            elif name in TEXT_FIELDS:
                values[name] = _text(raw, name, TEXT_FIELDS[name])
            elif name == "price":
                values[name] = clean_money(raw)
            elif name == "sale_price":
                values[name] = None if raw in (None, "") else clean_money(raw)
            elif name == "currency":
                currency = _text(raw, name, 3).upper()
                if currency and not _CURRENCY_RE.fullmatch(currency):
                    raise ValueError("must be a 3-letter ISO 4217 code such as EUR")
                values[name] = currency
            elif name == "category":
                values[name] = clean_category(raw)
            elif name == "in_stock":
                values[name] = clean_bool(raw)
            elif name == "stock":
                values[name] = clean_stock(raw)
            elif name == "attributes":
                values[name] = clean_attributes(raw)
            else:
                errors[str(name)[:64]] = UNKNOWN_FIELD
        except ValueError as exc:
            errors[name] = str(exc)
    if "title" in values and not values["title"]:
        errors["title"] = "must not be empty"
    if "stock" in values and "in_stock" not in values and values["stock"] is not None:
        values["in_stock"] = values["stock"] > 0  # a count alone says whether it sells
    if errors or product_id is None:
        raise InvalidProduct(errors, product_id)
    return ProductRow(product_id, values)
