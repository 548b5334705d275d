"""Writes of the catalog: products by product_id, idempotent; removal; feed imports.

`PUT /products`, `manage.py import_products`, the admin upload and the demo loader all
write through `upsert_products`, so a product is validated, merged and counted alike.
Every committed change bumps the catalog version (serving re-reads stock and removals at
once) and sends `catalog_changed` once per call or import (recommendations retrain).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction

from catalog.feeds import FORMATS, FeedError, FeedItem, guess_format, read_feed
from catalog.models import Product, ProductImport
from catalog.product_input import REQUIRED_ON_CREATE, InvalidProduct, ProductRow, clean_product
from catalog.signals import catalog_changed
from catalog.version import bump_catalog_version
from core import clock
from core.audit import record_change, snapshot

MAX_ITEMS_PER_CALL = 1000
IMPORT_BATCH = 1000
# Stored when a new product's item leaves them out.
CREATE_DEFAULTS: dict[str, Any] = {"description": "", "category": ""}


@dataclass
class ProductUpsert:
    """How many products a write created, changed and left alone, and which items it
    rejected (`{"index" or "line": n, "product_id"?, "errors": {field: why}}`)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: "ProductUpsert") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_response(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def _merge_duplicates(rows: Iterable[ProductRow]) -> dict[str, ProductRow]:
    """One row per product id; a later item's fields override an earlier one's."""
    wanted: dict[str, ProductRow] = {}
    for row in rows:
        earlier = wanted.get(row.product_id)
        wanted[row.product_id] = (
            row if earlier is None else ProductRow(row.product_id, {**earlier.values, **row.values})
        )
    return wanted


def _write(rows: Iterable[ProductRow]) -> tuple[ProductUpsert, dict[str, dict[str, str]]]:
    """Create or update by product_id with bulk queries: one read, one insert, one update.
    Returns the counts and, per product id, why a new product could not be created."""
    wanted = _merge_duplicates(rows)
    existing = Product.objects.in_bulk(list(wanted), field_name="product_id")
    result = ProductUpsert()
    incomplete: dict[str, dict[str, str]] = {}
    to_create: list[Product] = []
    to_update: list[Product] = []
    update_fields: set[str] = set()
    now = clock.now()
    for product_id, row in wanted.items():
        product = existing.get(product_id)
        if product is None:
            missing = [name for name in REQUIRED_ON_CREATE if name not in row.values]
            if missing:
                incomplete[product_id] = dict.fromkeys(missing, "is required for a new product")
                continue
            to_create.append(Product(product_id=product_id, **{**CREATE_DEFAULTS, **row.values}))
            continue
        changed = [name for name, value in row.values.items() if getattr(product, name) != value]
        if not changed:
            result.unchanged += 1
            continue
        for name in changed:
            setattr(product, name, row.values[name])
        product.updated_at = now
        update_fields.update(changed)
        to_update.append(product)
    if to_create:
        Product.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        fields = [*sorted(update_fields), "updated_at"]
        Product.objects.bulk_update(to_update, fields, batch_size=500)
    result.created, result.updated = len(to_create), len(to_update)
    return result, incomplete


def _announce(result: ProductUpsert, *, removed: int = 0) -> None:
    """After commit: serving sees the new catalog at once, listeners (the recommender)
    learn once per call or import."""
    if not (result.changed or removed):
        return

    def send() -> None:
        bump_catalog_version()
        catalog_changed.send(
            sender=Product, created=result.created, updated=result.updated, removed=removed
        )

    transaction.on_commit(send)


@transaction.atomic
def upsert_products(*, rows: Iterable[ProductRow]) -> ProductUpsert:
    """Create or update clean rows by product_id (code that builds its rows itself, such
    as the demo loader); rows that already match are not written, so a repeated load
    changes nothing. A new product without a title or price is rejected by id."""
    result, incomplete = _write(rows)
    result.rejected = [{"product_id": pid, "errors": errors} for pid, errors in incomplete.items()]
    _announce(result)
    return result


def _save_items(
    items: Sequence[tuple[int, Any]], key: str, *, announce: bool = True
) -> ProductUpsert:
    """Clean each `(position, item)`, reject the bad ones under `key` ("index" for the
    API, "line" for files) and write the rest in one transaction."""
    rejected: list[dict[str, Any]] = []
    rows: list[ProductRow] = []
    positions: dict[str, int] = {}
    for position, item in items:
        try:
            row = clean_product(item)
        except InvalidProduct as exc:
            rejected.append({key: position, "errors": exc.errors})
            continue
        rows.append(row)
        positions[row.product_id] = position
    with transaction.atomic():
        result, incomplete = _write(rows)
        if announce:
            _announce(result)
    rejected += [{key: positions[pid], "errors": errors} for pid, errors in incomplete.items()]
    result.rejected = sorted(rejected, key=lambda entry: entry[key])
    return result


def save_products(*, items: Sequence[Any]) -> ProductUpsert:
    """`PUT /products`: up to MAX_ITEMS_PER_CALL raw items, each merged into its stored
    product; bad items are reported by index and the valid ones kept."""
    if len(items) > MAX_ITEMS_PER_CALL:
        raise ValueError(f"at most {MAX_ITEMS_PER_CALL} products per call")
    return _save_items(list(enumerate(items)), "index")


@dataclass
class ImportReport(ProductUpsert):
    """An import's counts, the rows it read (rejected entries carry their `line`) and,
    when the file broke off (malformed XML, a bad CSV quote), why: the rows read up to
    there are imported."""

    rows: int = 0
    error: str | None = None


def import_products(
    *,
    items: Iterable[FeedItem],
    progress: Callable[[int], None] | None = None,
    batch_size: int = IMPORT_BATCH,
) -> ImportReport:
    """Import a parsed feed (`catalog.feeds.read_feed`) in batches of `batch_size`, each
    its own transaction, so a huge feed neither holds one long transaction nor loses the
    batches before a bad row. Listeners hear about the import once, at the end."""
    report = ImportReport()
    batch: list[tuple[int, Any]] = []

    def flush() -> None:
        if not batch:
            return
        part = _save_items(batch, "line", announce=False)
        report.add(part)
        if progress is not None:
            progress(len(batch))
        batch.clear()

    try:
        for entry in items:
            report.rows += 1
            if entry.errors:
                report.rejected.append({"line": entry.line, "errors": entry.errors})
                if progress is not None:
                    progress(1)
                continue
            batch.append((entry.line, entry.item))
            if len(batch) >= batch_size:
                flush()
    except FeedError as exc:
        report.error = str(exc)
    flush()
    report.rejected.sort(key=lambda entry: entry["line"])
    with transaction.atomic():
        _announce(report)
    return report


AUDITED_FIELDS = ("product_id", "title", "price", "category", "in_stock")


@transaction.atomic
def remove_products(*, product_ids: Iterable[str], user: Any = None) -> int:
    """Delete products by id; recommendations and carousels stop showing them at once.
    A staff member's removal is audited. Returns how many existed."""
    doomed = list(Product.objects.filter(product_id__in=list(product_ids)))
    if getattr(user, "pk", None):
        for product in doomed:
            record_change(
                instance=product,
                action="wagtail.delete",
                user=user,
                before=snapshot(product, AUDITED_FIELDS),
                deleted=True,
            )
    removed, _ = Product.objects.filter(pk__in=[p.pk for p in doomed]).delete()
    _announce(ProductUpsert(), removed=removed)
    return removed


IMPORT_ACTION = "catalog.import"


def import_feed_file(
    *,
    stream: IO[bytes],
    file_name: str,
    format: str | None = None,
    source: str = ProductImport.Source.COMMAND,
    user: Any = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[ProductImport, ImportReport]:
    """Read and import one feed file (the command and the admin upload), recorded as a
    `ProductImport`; an upload by staff is audited. Raises `FeedError` for a file
    whose format cannot be told; a file that breaks off is reported in `error`."""
    format = format or guess_format(file_name)
    if format not in FORMATS:
        raise FeedError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    record = ProductImport.objects.create(
        source=source,
        file_name=file_name[:255],
        format=format,
        user=user if getattr(user, "pk", None) else None,
        started_at=clock.now(),
    )
    report = import_products(items=read_feed(stream, format=format), progress=progress)
    record.rows, record.created, record.updated = report.rows, report.created, report.updated
    record.unchanged, record.rejected = report.unchanged, len(report.rejected)
    record.finished_at = clock.now()
    record.save()
    if record.user_id:
        record_change(
            instance=record,
            action=IMPORT_ACTION,
            user=user,
            after={
                "file": record.file_name,
                "created": record.created,
                "updated": record.updated,
                "unchanged": record.unchanged,
                "rejected": record.rejected,
            },
        )
    return record, report
