"""`manage.py load_demo` on the first invoices of the committed Online Retail file."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Product
from demo.categories import all_categories
from demo.online_retail import demo_data_file
from demo.retail_file import read_retail_file
from tracking.customer_keys import customer_key, known_visitor_id
from tracking.models import Event, VisitorProfile
from tracking.services import demo_event_id

pytestmark = pytest.mark.django_db
LIMIT = 50

# Invoice 536370 (customer 12583, France, 2010-12-01 08:45), copied from the file: the
# customer's only invoice among the first 50. Its POST line (3 x 18.00) is postage.
INVOICE_536370 = [
    ("22728", 24, 3.75), ("22727", 24, 3.75), ("22726", 12, 3.75), ("21724", 12, 0.85),
    ("21883", 24, 0.65), ("10002", 48, 0.85), ("21791", 24, 1.25), ("21035", 18, 2.95),
    ("22326", 24, 2.95), ("22629", 24, 1.95), ("22659", 24, 1.95), ("22631", 24, 1.95),
    ("22661", 20, 0.85), ("21731", 24, 1.65), ("22900", 24, 2.95), ("21913", 12, 3.75),
    ("22540", 24, 0.42), ("22544", 24, 0.42), ("22492", 36, 0.65),
]  # fmt: skip


def load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", "--limit-invoices", str(LIMIT), *args, stdout=out)
    return out.getvalue()


def profile_of(customer_id: str) -> VisitorProfile:
    return VisitorProfile.objects.get(
        customer_key=customer_key(customer_id, settings.PZ_CUSTOMER_ID_PEPPER)
    )


def test_creates_products_and_known_customers() -> None:
    output = load_demo()

    expected = read_retail_file(demo_data_file(), limit_invoices=LIMIT)
    assert Product.objects.count() == len(expected.products) > 100
    assert set(Product.objects.values_list("category", flat=True)) <= set(all_categories())
    assert not Product.objects.filter(product_id__in=["POST", "DOT", "M"]).exists()
    buyers = VisitorProfile.objects.filter(orders__gt=0)
    assert buyers.count() == len(expected.customer_ids)
    assert all(p.customer_key and p.rfm_r for p in buyers)
    assert Event.objects.filter(type="purchase").count() == LIMIT
    assert f"{LIMIT} stored, 0 duplicates, 0 rejected" in output
    assert "CRM sample: 197 rows imported, 3 bad rows" in output
    # The built-in triggers are on, and the demo customers have an address to email.
    from triggers.models import Trigger

    assert set(Trigger.objects.filter(enabled=True).values_list("key", flat=True)) == {
        "cart-abandonment",
        "repeat-category-browsing",
        "search-without-click",
        "lapsed-customer",
        "lighting-buyers",
        "post-purchase-cross-sell",
    }
    assert "triggers: 6 built-in (6 enabled)" in output
    # Through the triggers' write path: each creation is in the audit log.
    from wagtail.models import ModelLogEntry

    created = ModelLogEntry.objects.filter(action="wagtail.create").values_list("label", flat=True)
    assert {t.name for t in Trigger.objects.all()} <= set(created)
    assert profile_of("17850").attributes["email"] == "customer-17850@example.com"


@pytest.mark.time_sensitive  # the replayed invoices end yesterday
def test_profile_matches_a_hand_computed_invoice() -> None:
    load_demo()

    revenue = round(sum(quantity * price for _, quantity, price in INVOICE_536370), 2)
    assert revenue == 801.86
    profile = profile_of("12583")
    assert (profile.orders, profile.revenue) == (1, revenue)
    assert profile.last_context == {"country": "FR", "device": "desktop"}
    assert profile.interest  # categories of the items were credited

    event = Event.objects.get(event_id=demo_event_id("online-retail", "536370"))
    assert event.visitor_id == profile.visitor_id
    assert event.properties["order_id"] == "536370"
    assert event.properties["revenue"] == revenue
    items = [(i["product_id"], i["quantity"], i["price"]) for i in event.properties["items"]]
    assert items == INVOICE_536370
    assert (event.timestamp.hour, event.timestamp.minute) == (8, 45)

    # The last replayed invoice (2010-12-01 12:15) lands yesterday at the same time.
    last = Event.objects.latest("timestamp").timestamp
    assert last.date() == (timezone.now() - timedelta(days=1)).date()
    assert event.timestamp == last - timedelta(hours=3, minutes=30)


def test_second_run_changes_nothing() -> None:
    load_demo()
    profiles = {p.visitor_id: (p.orders, p.revenue, p.events_count, p.attributes)
                for p in VisitorProfile.objects.all()}  # fmt: skip
    products = list(Product.objects.values_list("product_id", "updated_at"))
    events = Event.objects.count()

    output = load_demo()

    assert "0 created, 0 updated" in output
    assert f"0 stored, {LIMIT} duplicates" in output
    assert Event.objects.count() == events
    assert list(Product.objects.values_list("product_id", "updated_at")) == products
    assert {p.visitor_id: (p.orders, p.revenue, p.events_count, p.attributes)
            for p in VisitorProfile.objects.all()} == profiles  # fmt: skip
    # Re-saving the unchanged built-in triggers logs no edit.
    from wagtail.models import ModelLogEntry

    edits = ModelLogEntry.objects.filter(action="wagtail.edit", content_type__model="trigger")
    assert not edits.exists()


def test_raw_customer_ids_are_never_stored() -> None:
    load_demo()

    raw_ids = set(read_retail_file(demo_data_file(), limit_invoices=LIMIT).customer_ids)
    raw_ids |= {line.split(",")[0] for line in crm_lines()}
    stored: set[str] = set()
    for profile in VisitorProfile.objects.all():
        for field in profile._meta.concrete_fields:
            collect(getattr(profile, field.attname), stored)
    for event in Event.objects.all():
        collect([event.visitor_id, event.properties, event.context], stored)
    assert raw_ids
    assert not raw_ids & stored
    for profile in VisitorProfile.objects.exclude(customer_key=None):
        assert profile.visitor_id == known_visitor_id(profile.customer_key)  # from the hash


def test_data_file_option(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        call_command("load_demo", "--data-file", str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="not an Online Retail CSV"):
        call_command("load_demo", "--data-file", str(bad))


def crm_lines() -> list[str]:
    path = Path(settings.PZ_DEMO_DATA_DIR) / "crm" / "customers_sample.csv"
    return [line for line in path.read_text().splitlines()[1:] if line.split(",")[0]]


def collect(value: object, into: set[str]) -> None:
    """Every scalar inside a field value, as text (JSON keys included)."""
    if isinstance(value, dict):
        for key, item in value.items():
            into.add(str(key))
            collect(item, into)
    elif isinstance(value, list | tuple):
        for item in value:
            collect(item, into)
    elif value is not None:
        into.add(str(value) if not isinstance(value, str) else value)
        into.add(json.dumps(value, default=str))
