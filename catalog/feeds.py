"""Product feed files into pz item dicts: plain Python, no Django.

Formats (`read_feed`, by `format` or the file name):
- `csv` and `tsv`: a header row; pz's column names (`product_id`, `title`, ... as in
  `PUT /products`, `attributes.<name>` for one attribute) or Google Merchant Center's
  (`id`, `title`, `link`, `image_link`, `price` "15.00 EUR", `availability`, ...);
- `jsonl`: one `PUT /products` item per line;
- `xml`: a Google Merchant Center RSS 2.0 (`<item>`) or Atom (`<entry>`) feed with the
  `g:` namespace, parsed with defusedxml (no entities, no DTDs, no external fetches).

Each item comes with its position (file line; for XML the `<item>`'s number) and the
errors of parsing it; validation is `catalog.product_input.clean_product`'s, shared by
the API, the command and the admin upload.
"""

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from defusedxml import ElementTree

FORMATS = ("csv", "tsv", "jsonl", "xml")
GOOGLE_NS = "http://base.google.com/ns/1.0"
_ATOM_NS = "http://www.w3.org/2005/Atom"
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "tsv",  # Merchant Center's own name for its tab-separated feeds
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "xml",
    ".rss": "xml",
    ".atom": "xml",
}
_MONEY_RE = re.compile(r"^\s*([0-9][0-9.,]*)\s*([A-Za-z]{3})?\s*$")
# Merchant Center attributes with a pz field of their own; the rest become attributes.
GOOGLE_FIELDS = {
    "id": "product_id",
    "title": "title",
    "description": "description",
    "link": "url",
    "image_link": "image_url",
    "brand": "brand",
}
GOOGLE_IGNORED = frozenset({"price", "sale_price", "availability", "product_type", "quantity"})
PZ_COLUMNS = frozenset(
    {
        "product_id", "title", "description", "url", "image_url", "price", "sale_price",
        "currency", "category", "brand", "in_stock", "stock",
    }
)  # fmt: skip


class FeedError(ValueError):
    """A file that cannot be read as a feed at all (not one bad row)."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    line: int
    item: dict[str, Any] | None
    errors: dict[str, str] | None = None


def guess_format(name: str) -> str:
    suffix = Path(name.lower().removesuffix(".gz")).suffix
    try:
        return _EXTENSIONS[suffix]
    except KeyError as exc:
        raise FeedError(
            f"cannot tell the format of {name!r}: name it .csv, .tsv, .txt, .jsonl, .xml "
            "or give the format"
        ) from exc


def read_feed(stream: IO[bytes], *, format: str) -> Iterator[FeedItem]:
    """Items of a feed read from a binary stream, one at a time (large feeds stream)."""
    if format not in FORMATS:
        raise FeedError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    if format == "xml":
        return _read_xml(stream)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    if format == "jsonl":
        return _read_jsonl(text)
    return _read_delimited(text, "," if format == "csv" else "\t")


# --- Merchant Center values ------------------------------------------------------------


def split_money(value: str) -> tuple[str, str | None]:
    """ "15.00 EUR" -> ("15.00", "EUR"); a bare number has no currency. A value that is
    not money is returned whole, for validation to name."""
    match = _MONEY_RE.match(value)
    if not match:
        return value, None
    number, currency = match.groups()
    if "," in number and "." not in number:
        number = number.replace(",", ".")  # "15,00 EUR"
    return number.replace(",", ""), currency.upper() if currency else None


def google_item(values: dict[str, list[str]]) -> dict[str, Any]:
    """A Merchant Center product (attribute -> its values) as a pz item."""
    first = {name: next((v for v in vs if v.strip()), "") for name, vs in values.items()}
    item: dict[str, Any] = {}
    for google, pz in GOOGLE_FIELDS.items():
        if first.get(google):
            item[pz] = first[google]
    currency = None
    for google in ("price", "sale_price"):
        if first.get(google):
            item[google], given = split_money(first[google])
            currency = currency or given
    if currency:
        item["currency"] = currency
    availability = first.get("availability", "").strip().lower().replace(" ", "_")
    if availability:
        # Preorders and backorders can be bought; only "out of stock" leaves the shelf.
        item["in_stock"] = availability != "out_of_stock"
    category = first.get("product_type") or first.get("google_product_category")
    if category:
        item["category"] = category
    if first.get("quantity"):
        item["stock"] = first["quantity"]
    attributes: dict[str, Any] = {}
    for name, vs in values.items():
        if name in GOOGLE_FIELDS or name in GOOGLE_IGNORED:
            continue
        kept = [v.strip() for v in vs if v.strip()]
        if kept:
            attributes[name] = kept[0] if len(kept) == 1 else kept
    if attributes:
        item["attributes"] = attributes
    return item


# --- readers -------------------------------------------------------------------------


def _read_jsonl(text: Iterable[str]) -> Iterator[FeedItem]:
    try:
        for line_no, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                yield FeedItem(line_no, None, {"line": f"not valid JSON: {str(exc)[:200]}"})
                continue
            yield FeedItem(line_no, item, None)
    except UnicodeDecodeError as exc:
        raise FeedError(f"the file is not UTF-8 text: {exc}") from exc


def _pz_item(row: dict[str, str]) -> dict[str, Any]:
    """A row with pz's column names; empty cells are left out (the stored value is kept)."""
    item: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for name, value in row.items():
        if value is None or value == "":
            continue
        if name.startswith("attributes."):
            attributes[name.removeprefix("attributes.")] = value
        else:
            item[name] = value
    if attributes:
        item["attributes"] = attributes
    return item


def _read_delimited(text: IO[str], delimiter: str) -> Iterator[FeedItem]:
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header:
            raise FeedError("the file is empty: a header row is expected")
        columns = [name.strip().lower() for name in header]
        if "product_id" in columns:
            mapping = "pz"
        elif "id" in columns:
            mapping = "google"
        else:
            raise FeedError(
                "no product_id column (pz's names) and no id column (Merchant Center's)"
            )
        line_no = reader.line_num
        for cells in reader:
            start, line_no = line_no + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                yield FeedItem(
                    start, None, {"row": f"has {len(cells)} cells, the header {len(columns)}"}
                )
                continue
            if mapping == "pz":
                yield FeedItem(start, _pz_item(dict(zip(columns, cells, strict=True))))
            else:
                values: dict[str, list[str]] = {}
                for name, cell in zip(columns, cells, strict=True):
                    values.setdefault(name, []).append(cell)
                yield FeedItem(start, google_item(values))
    except csv.Error as exc:
        raise FeedError(f"line {reader.line_num}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise FeedError(f"the file is not UTF-8 text: {exc}") from exc


def _local(tag: str) -> tuple[str, str]:
    namespace, _, name = tag.rpartition("}")
    return namespace.lstrip("{"), name


def _read_xml(stream: IO[bytes]) -> Iterator[FeedItem]:
    number = 0
    try:
        for _event, element in ElementTree.iterparse(stream, events=("end",)):
            namespace, name = _local(element.tag)
            if name not in ("item", "entry") or namespace not in ("", _ATOM_NS):
                continue
            number += 1
            google: dict[str, list[str]] = {}
            plain: dict[str, list[str]] = {}
            for child in element:
                child_ns, child_name = _local(child.tag)
                if child_ns not in ("", GOOGLE_NS, _ATOM_NS) or len(child):
                    continue  # nested groups (g:shipping) and other vocabularies
                text = (child.text or "").strip()
                if child_ns == _ATOM_NS and child_name == "link":
                    text = child.get("href", "")
                target = google if child_ns == GOOGLE_NS else plain
                target.setdefault(child_name, []).append(text)
            values = {**plain, **google}  # g:title wins over RSS's own <title>
            element.clear()  # a 100,000-item feed is read in constant memory
            yield FeedItem(number, google_item(values))
    except ElementTree.ParseError as exc:
        raise FeedError(f"not well-formed XML: {exc}") from exc
    except Exception as exc:  # defusedxml's refusals: entities, DTDs, external references
        if type(exc).__module__.startswith("defusedxml"):
            raise FeedError(f"refused unsafe XML: {exc}") from exc
        raise
