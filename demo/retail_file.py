"""Reading and cleaning the UCI "Online Retail" file for the demo: plain Python, no queries.

The file (`demo_data/online-retail/online_retail.csv.xz`) has one row per invoice line:
InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country.
It is read with the stdlib `lzma` + `csv` in one streaming pass that yields

- the catalog: one product per StockCode (upper-cased, so "85049a" and "85049A" are one
  product) over every sold line, with or without a customer; postage, fees, manual
  adjustments, samples and gift vouchers are not products and are skipped;
- the purchases to replay: one `Invoice` per InvoiceNo with a CustomerID, after dropping
  "C" cancellations, lines with Quantity <= 0 or UnitPrice <= 0 and non-product codes.

The source has no product descriptions, prices per product or categories, so they are
derived here: the title is the code's most common Description, tidied and title-cased;
the price is the median positive UnitPrice; the category comes from
`demo.categories.derive_category`; the description is one generated sentence. About 3%
of products (chosen by a hash of the code, so the same ones every run) are marked out of
stock so out-of-stock filtering can be shown.
"""

import csv
import hashlib
import lzma
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TextIO

from catalog.product_input import ProductRow
from demo.categories import derive_category

COLUMNS = (
    "InvoiceNo", "StockCode", "Description", "Quantity",
    "InvoiceDate", "UnitPrice", "CustomerID", "Country",
)  # fmt: skip
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE", "CRUK", "D", "S", "PADS", "C2", "B"}
)
GIFT_VOUCHER_PREFIX = "GIFT_0001_"
OUT_OF_STOCK_PERCENT = 3

# Retail country names to ISO 3166-1 alpha-2; "Unspecified", "European Community" and
# "Channel Islands" (Jersey and Guernsey have separate codes) are left out.
COUNTRY_CODES = {
    "Australia": "AU",
    "Austria": "AT",
    "Bahrain": "BH",
    "Belgium": "BE",
    "Brazil": "BR",
    "Canada": "CA",
    "Cyprus": "CY",
    "Czech Republic": "CZ",
    "Denmark": "DK",
    "EIRE": "IE",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Greece": "GR",
    "Hong Kong": "HK",
    "Iceland": "IS",
    "Israel": "IL",
    "Italy": "IT",
    "Japan": "JP",
    "Lebanon": "LB",
    "Lithuania": "LT",
    "Malta": "MT",
    "Netherlands": "NL",
    "Norway": "NO",
    "Poland": "PL",
    "Portugal": "PT",
    "RSA": "ZA",
    "Saudi Arabia": "SA",
    "Singapore": "SG",
    "Spain": "ES",
    "Sweden": "SE",
    "Switzerland": "CH",
    "USA": "US",
    "United Arab Emirates": "AE",
    "United Kingdom": "GB",
}

# Words kept upper-case, and small words kept lower-case inside a title.
_UPPER_WORDS = frozenset({"LED", "UK", "USA", "DIY", "USB", "S/3", "S/4", "S/6", "XL", "3D"})
_SMALL_WORDS = frozenset({"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to", "w"})
# A letter at the start of a word or after a joiner: "t-light" -> "T-Light", not "60Cm".
_WORD_START = re.compile(r"(^|[-+/&(\"])([a-z])")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    product_id: str
    quantity: int
    unit_price: float


@dataclass(slots=True)
class Invoice:
    invoice_no: str
    customer_id: str
    placed_at: datetime  # as recorded (UK shop time), read as UTC
    country: str | None  # ISO 3166-1 alpha-2, None when unknown
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def revenue(self) -> float:
        return round(sum(line.quantity * line.unit_price for line in self.lines), 2)


@dataclass(slots=True)
class RetailData:
    products: list[ProductRow]
    invoices: list[Invoice]  # oldest first
    rows_read: int = 0
    lines_replayed: int = 0

    @property
    def customer_ids(self) -> list[str]:
        return sorted({invoice.customer_id for invoice in self.invoices})


def is_product_code(stock_code: str) -> bool:
    """False for postage, fees, discounts, manual lines, samples and gift vouchers."""
    code = stock_code.strip().upper()
    return bool(code) and code not in NON_PRODUCT_CODES and not code.startswith(GIFT_VOUCHER_PREFIX)


def tidy_title(description: str) -> str:
    """'WHITE HANGING HEART T-LIGHT HOLDER' -> 'White Hanging Heart T-Light Holder'."""
    words = []
    for position, word in enumerate(description.replace(",", " ").split()):
        lower = word.lower()
        if word.upper() in _UPPER_WORDS:
            words.append(word.upper())
        elif position and lower in _SMALL_WORDS:
            words.append(lower)
        else:
            words.append(_WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), lower))
    return " ".join(words)


def product_description(title: str, category: str) -> str:
    """One generated sentence: the source data carries no product descriptions."""
    department, _, kind = category.partition("/")
    kind_words = kind.replace("-", " ")
    return f"{title}, from our {department} department's {kind_words} range."


def is_out_of_stock(product_id: str) -> bool:
    """A stable ~3% of products, picked by a hash of the code, are shown out of stock."""
    digest = hashlib.sha256(product_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < OUT_OF_STOCK_PERCENT


def median_price(prices: list[float]) -> Decimal:
    """Median positive unit price in GBP, to the penny (at least 0.01)."""
    value = Decimal(str(statistics.median(prices))).quantize(_CENT, rounding=ROUND_HALF_UP)
    return max(value, _CENT)


def _product_row(product_id: str, descriptions: Counter[str], prices: list[float]) -> ProductRow:
    counts: Counter[str] = Counter()
    for text, count in descriptions.items():
        if text.strip():
            counts[" ".join(text.split())] += count
    raw = counts.most_common(1)[0][0] if counts else f"Item {product_id}"
    title = tidy_title(raw)[:255]
    category = derive_category(raw)
    return ProductRow.of(
        product_id,
        title=title,
        description=product_description(title, category),
        category=category,
        price=median_price(prices),
        currency="GBP",
        in_stock=not is_out_of_stock(product_id),
    )


def open_retail_file(path: Path) -> TextIO:
    """The CSV as text, whether the path is the `.xz` file or the plain CSV."""
    if path.suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def parse_retail(rows: Iterable[list[str]], *, limit_invoices: int | None = None) -> RetailData:
    """Products and replayable invoices from CSV rows (header first).

    With `limit_invoices`, reading stops before the first row of invoice N+1 that has a
    customer, so the products are those sold up to that point of the file.
    """
    iterator: Iterator[list[str]] = iter(rows)
    header = next(iterator, None)
    if header is None or tuple(h.strip().lstrip("\ufeff") for h in header[:8]) != COLUMNS:
        raise ValueError(f"not an Online Retail CSV: expected columns {', '.join(COLUMNS)}")

    descriptions: defaultdict[str, Counter[str]] = defaultdict(Counter)
    prices: defaultdict[str, list[float]] = defaultdict(list)
    product_ids: dict[str, str | None] = {}  # raw StockCode -> product id, None if not one
    invoices: dict[str, Invoice] = {}
    rows_read = 0
    lines = 0
    for row in iterator:
        if len(row) < 8:
            continue
        invoice_no, stock_code, description, quantity_s, date_s, price_s, customer, country = row[
            :8
        ]
        customer = customer.strip()
        if (
            limit_invoices is not None
            and customer
            and invoice_no not in invoices
            and len(invoices) >= limit_invoices
        ):
            break
        rows_read += 1
        if invoice_no.startswith("C"):
            continue
        product_id = product_ids.get(stock_code, "")
        if product_id == "":
            product_id = product_ids[stock_code] = (
                stock_code.strip().upper() if is_product_code(stock_code) else None
            )
        if product_id is None:
            continue
        try:
            quantity = int(quantity_s)
            unit_price = float(price_s)
        except ValueError:
            continue
        if quantity <= 0 or unit_price <= 0:
            continue
        if description:
            descriptions[product_id][description] += 1
        prices[product_id].append(unit_price)
        if not customer:
            continue
        invoice = invoices.get(invoice_no)
        if invoice is None:
            invoice = invoices[invoice_no] = Invoice(
                invoice_no=invoice_no,
                customer_id=customer,
                placed_at=datetime.fromisoformat(date_s).replace(tzinfo=UTC),
                country=COUNTRY_CODES.get(country.strip()),
            )
        invoice.lines.append(InvoiceLine(product_id, quantity, unit_price))
        lines += 1

    products = [_product_row(pid, descriptions[pid], prices[pid]) for pid in sorted(prices)]
    ordered = sorted(invoices.values(), key=lambda inv: (inv.placed_at, inv.invoice_no))
    return RetailData(
        products=products, invoices=ordered, rows_read=rows_read, lines_replayed=lines
    )


def read_retail_file(path: Path, *, limit_invoices: int | None = None) -> RetailData:
    """`parse_retail` over the (xz-compressed) Online Retail CSV at `path`."""
    with open_retail_file(path) as handle:
        return parse_retail(csv.reader(handle), limit_invoices=limit_invoices)


def replay_shift(invoices: list[Invoice], today: date) -> timedelta:
    """Whole days that move the last invoice to yesterday, keeping each time of day.

    Derived from the data and the date only, so every run on the same day shifts alike.
    """
    if not invoices:
        return timedelta(0)
    last = max(invoice.placed_at for invoice in invoices)
    return timedelta(days=(today - timedelta(days=1) - last.date()).days)
