"""The Online Retail demo load: products, customers and one purchase per invoice."""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from catalog.services import ProductUpsert, upsert_products
from core import clock
from demo.retail_file import Invoice, read_retail_file, replay_shift
from tracking.customer_keys import customer_key
from tracking.event_validation import MAX_LIST_ITEMS
from tracking.models import VisitorProfile
from tracking.services import (
    ImportReport,
    demo_event_id,
    import_customer_attributes,
    ingest_events,
    known_profile,
    refresh_rfm_scores,
)

DEMO_NAMESPACE = "online-retail"
REPLAY_CHUNK = 1000


@dataclass
class DemoLoadReport:
    """What `load_online_retail_demo` did, for the command's summary."""

    products: ProductUpsert = field(default_factory=ProductUpsert)
    customers: int = 0
    customers_created: int = 0
    invoices: int = 0
    shift_days: int = 0
    truncated_invoices: int = 0
    events_stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped_no_consent: int = 0
    crm: ImportReport | None = None
    seconds: float = 0.0


def demo_data_file() -> Path:
    return Path(settings.PZ_DEMO_DATA_DIR) / "online-retail" / "online_retail.csv.xz"


def demo_crm_file() -> Path:
    return Path(settings.PZ_DEMO_DATA_DIR) / "crm" / "customers_sample.csv"


def load_online_retail_demo(
    *,
    data_file: Path | None = None,
    crm_file: Path | None = None,
    limit_invoices: int | None = None,
    now: datetime | None = None,
) -> DemoLoadReport:
    """Load the Online Retail demo: upsert the catalog, make every customer a known visitor
    and replay each invoice as one `purchase` event through `ingest_events` (the API's
    validation and profile path) in batches of up to 1000, then refresh RFM scores and
    import the sample CRM file.

    Timestamps move by whole days so the last invoice falls yesterday; event ids come from
    invoice numbers, so a re-run stores nothing twice whatever the shift. Invoices with
    more than `MAX_LIST_ITEMS` lines keep their first items but their full revenue.
    """
    started = time.monotonic()
    now = now or clock.now()
    data = read_retail_file(data_file or demo_data_file(), limit_invoices=limit_invoices)
    report = DemoLoadReport(invoices=len(data.invoices))
    report.products = upsert_products(rows=data.products)
    categories = {row.product_id: row.values["category"] for row in data.products}

    visitors, report.customers_created = known_visitor_ids(data.customer_ids)
    report.customers = len(visitors)
    shift = replay_shift(data.invoices, now.astimezone(UTC).date())
    report.shift_days = shift.days
    report.truncated_invoices = sum(1 for inv in data.invoices if len(inv.lines) > MAX_LIST_ITEMS)

    for chunk in customer_chunks(data.invoices, REPLAY_CHUNK):
        events = [
            purchase_event(inv, visitors[inv.customer_id], shift, categories) for inv in chunk
        ]
        result = ingest_events(events, now=now)
        report.events_stored += result.accepted - result.duplicates
        report.duplicates += result.duplicates
        report.rejected += len(result.rejected)
        report.dropped_no_consent += result.dropped_no_consent
    refresh_rfm_scores(now=now)

    crm_file = crm_file or demo_crm_file()
    if crm_file.exists():
        with crm_file.open(encoding="utf-8-sig", newline="") as handle:
            report.crm = import_customer_attributes(handle)
    report.seconds = round(time.monotonic() - started, 1)
    return report


def known_visitor_ids(customer_ids: list[str]) -> tuple[dict[str, str], int]:
    """Visitor id of each customer, creating known profiles (via `known_profile`) for the
    ones not seen yet; returns the mapping and how many were created. Raw ids stay here."""
    pepper = settings.PZ_CUSTOMER_ID_PEPPER
    keys = {customer_id: customer_key(customer_id, pepper) for customer_id in customer_ids}
    by_key: dict[str, str] = {}
    key_list = list(keys.values())
    for start in range(0, len(key_list), 500):
        by_key.update(
            VisitorProfile.objects.filter(
                customer_key__in=key_list[start : start + 500]
            ).values_list("customer_key", "visitor_id")
        )
    visitors, created = {}, 0
    with transaction.atomic():
        for customer_id, key in keys.items():
            if key not in by_key:
                by_key[key] = known_profile(customer_id).visitor_id
                created += 1
            visitors[customer_id] = by_key[key]
    return visitors, created


def purchase_event(
    invoice: Invoice, visitor_id: str, shift: timedelta, categories: dict[str, str]
) -> dict[str, Any]:
    """The `purchase` event of one invoice, shaped as a client would POST it."""
    context = {"device": "desktop"}
    if invoice.country:
        context["country"] = invoice.country
    items = [
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "price": line.unit_price,
            "category": categories[line.product_id],
        }
        for line in invoice.lines[:MAX_LIST_ITEMS]
    ]
    return {
        "type": "purchase",
        "visitor_id": visitor_id,
        "event_id": demo_event_id(DEMO_NAMESPACE, invoice.invoice_no),
        "timestamp": (invoice.placed_at + shift).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "properties": {"order_id": invoice.invoice_no, "revenue": invoice.revenue, "items": items},
        "context": context,
    }


def customer_chunks(invoices: list[Invoice], size: int) -> Iterator[list[Invoice]]:
    """Invoices in batches of at most `size` that never split a customer's invoices
    (unless one customer has more than `size`), oldest first within each customer.

    Ingest writes each touched profile once per batch, so keeping a customer's purchases
    in one batch writes each profile about once instead of once per batch it appears in.
    """
    by_customer: dict[str, list[Invoice]] = {}
    for invoice in invoices:
        by_customer.setdefault(invoice.customer_id, []).append(invoice)
    chunk: list[Invoice] = []
    for customer_invoices in by_customer.values():
        if chunk and len(chunk) + len(customer_invoices) > size:
            yield chunk
            chunk = []
        for invoice in customer_invoices:
            chunk.append(invoice)
            if len(chunk) == size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk
