"""A shop's own Google Merchant Center feed, built from the Online Retail data, goes in
through `manage.py import_products` with no code change: RSS 2.0 with the g: namespace
and the tab-separated form, the same products either way, and one training scheduled."""

from decimal import Decimal
from io import StringIO
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import call_command

from catalog.models import Product, ProductImport
from catalog.product_input import ProductRow
from demo.online_retail import demo_data_file
from demo.retail_file import read_retail_file

pytestmark = pytest.mark.django_db
INVOICES = 400  # the products sold in the file's first 400 customer invoices


@pytest.fixture(scope="module")
def retail_products():
    return read_retail_file(demo_data_file(), limit_invoices=INVOICES).products


def merchant_fields(row) -> dict[str, str]:
    values = row.values
    return {
        "id": row.product_id,
        "title": values["title"],
        "description": values["description"],
        "link": f"https://shop.example/p/{row.product_id.lower()}",
        "image_link": f"https://cdn.example/{row.product_id.lower()}.jpg",
        "price": f"{values['price']} GBP",
        "availability": "in_stock" if values["in_stock"] else "out_of_stock",
        "product_type": values["category"].replace("/", " > ").title(),
        "brand": "Online Retail",
        "condition": "new",
    }


def rss_feed(rows) -> str:
    items = "".join(
        "<item>"
        + "".join(f"<g:{k}>{escape(v)}</g:{k}>" for k, v in merchant_fields(row).items())
        + "</item>\n"
        for row in rows
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>\n'
        f"<title>Online Retail</title>\n{items}</channel></rss>\n"
    )


def tsv_feed(rows) -> str:
    lines = ["\t".join(merchant_fields(rows[0]))]
    lines += ["\t".join(merchant_fields(row).values()) for row in rows]
    return "\n".join(lines) + "\n"


def run_import(path: Path) -> str:
    out = StringIO()
    call_command("import_products", str(path), "--no-progress", stdout=out)
    return out.getvalue()


def test_a_merchant_center_feed_from_the_online_retail_data_imports(
    retail_products, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from recommendations import tasks

    settings.PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS = 60
    scheduled = []
    monkeypatch.setattr(
        tasks.train_recommender_task, "apply_async", lambda **kw: scheduled.append(kw)
    )
    rows = retail_products
    assert len(rows) > 500
    xml = tmp_path / "products.xml"
    xml.write_text(rss_feed(rows), encoding="utf-8")

    with django_capture_on_commit_callbacks(execute=True):
        output = run_import(xml)

    assert output.startswith(f"{len(rows)} rows: {len(rows)} created, 0 updated, 0 unchanged")
    assert Product.objects.count() == len(rows)
    sample = rows[0]
    stored = Product.objects.get(product_id=sample.product_id)
    assert (stored.title, stored.price, stored.currency) == (
        sample.values["title"],
        sample.values["price"],
        "GBP",
    )
    assert stored.category == sample.values["category"]  # "Home > Lighting" -> home/lighting
    assert stored.attributes == {"condition": "new"}
    sold_out = {r.product_id for r in rows if not r.values["in_stock"]}
    assert set(Product.objects.filter(in_stock=False).values_list("product_id", flat=True)) == (
        sold_out
    )
    assert scheduled == [{"countdown": 60}]  # the recommender retrains once, by itself

    # The same catalog as a tab-separated feed, one price changed: nothing else is written.
    changed = rows[1].product_id
    repriced = [*rows]
    repriced[1] = ProductRow(changed, {**rows[1].values, "price": Decimal("999.00")})
    tsv = tmp_path / "products.txt"
    tsv.write_text(tsv_feed(repriced), encoding="utf-8")
    output = run_import(tsv)
    assert output.startswith(f"{len(rows)} rows: 0 created, 1 updated, {len(rows) - 1} unchanged")
    assert Product.objects.get(product_id=changed).price == Decimal("999.00")
    assert ProductImport.objects.count() == 2
