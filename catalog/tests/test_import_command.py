"""`manage.py import_products FILE`: the report names each bad row by line, the rest is
imported, a re-run changes nothing."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product, ProductImport

pytestmark = pytest.mark.django_db

CSV = (
    "product_id,title,price,currency,category,in_stock,attributes.color\n"
    "A,Lamp,9.50,gbp,Home/Lighting,yes,gold\n"
    "B,Mug,free,GBP,kitchen,no,\n"
    "C,,3,GBP,kitchen,no,\n"
    "D,Cup,3,GBP,kitchen,maybe,\n"
    "E,Plate,4,GBP,kitchen,true,\n"
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_products", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_a_csv_import_reports_bad_rows_by_line_and_keeps_the_rest(tmp_path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(CSV, encoding="utf-8")

    output = run(str(path))

    assert output.splitlines() == [
        "5 rows: 2 created, 0 updated, 0 unchanged, 3 rejected",
        "  line 3: price: must be a number",
        "  line 4: title: is required for a new product",
        "  line 5: in_stock: must be true or false",
    ]
    lamp = Product.objects.get(product_id="A")
    assert (lamp.category, lamp.currency, lamp.attributes) == (
        "home/lighting",
        "GBP",
        {"color": "gold"},
    )
    record = ProductImport.objects.get()
    assert (record.source, record.rows, record.created, record.rejected) == ("command", 5, 2, 3)

    again = json.loads(run(str(path), "--json"))
    assert (again["created"], again["unchanged"], len(again["rejected"])) == (0, 2, 3)


def test_a_jsonl_file_and_a_broken_xml_file(tmp_path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"product_id": "A", "title": "Lamp", "price": 1}\n', encoding="utf-8")
    assert run(str(path)).startswith("1 rows: 1 created")

    broken = tmp_path / "feed.xml"
    broken.write_text(
        '<rss xmlns:g="http://base.google.com/ns/1.0"><channel>'
        "<item><g:id>B</g:id><g:title>Mug</g:title><g:price>2 EUR</g:price></item><item>",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="broke off"):
        run(str(broken))
    assert Product.objects.filter(product_id="B").exists()  # the items before it are kept

    pdf = tmp_path / "feed.pdf"
    pdf.write_bytes(b"%PDF")
    with pytest.raises(CommandError, match="cannot tell the format"):
        run(str(pdf))
