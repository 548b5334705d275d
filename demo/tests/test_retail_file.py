"""Reading and cleaning the Online Retail file (pure functions, no database)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from demo.online_retail import customer_chunks, purchase_event
from demo.retail_file import (
    Invoice,
    InvoiceLine,
    is_out_of_stock,
    is_product_code,
    parse_retail,
    replay_shift,
    tidy_title,
)

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
SAMPLE = HEADER + (
    "1001,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,"
    "United Kingdom\n"
    "1001,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
    "1001,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850,United Kingdom\n"
    "1002,85123a,WHITE HANGING HEART T-LIGHT HOLDER,2,2010-12-02 09:00:00,2.95,,United Kingdom\n"
    "1003,85123A,CREAM HANGING HEART T-LIGHT HOLDER,1,2010-12-03 10:00:00,3.25,12583,EIRE\n"
    "1003,22423,REGENCY CAKESTAND 3 TIER,-1,2010-12-03 10:00:00,12.75,12583,EIRE\n"
    "C1004,71053,WHITE METAL LANTERN,-2,2010-12-04 10:00:00,3.39,17850,United Kingdom\n"
    "1005,gift_0001_10,Dotcomgiftshop Gift Voucher £10.00,1,2010-12-05 11:00:00,8.5,12583,EIRE\n"
    "1006,22086,PAPER CHAIN KIT 50'S CHRISTMAS,12,2010-12-06 12:00:00,0,13047,Unspecified\n"
    "1007,22086,PAPER CHAIN KIT 50'S CHRISTMAS,12,2010-12-07 12:00:00,2.55,13047,Unspecified\n"
)


def parse(text: str, limit: int | None = None):
    return parse_retail(csv.reader(io.StringIO(text)), limit_invoices=limit)


def test_products_from_every_sold_line_and_invoices_only_with_customers() -> None:
    data = parse(SAMPLE)

    products = {p.product_id: p for p in data.products}
    assert sorted(products) == ["22086", "71053", "85123A"]  # no POST, voucher, refund only
    heart = products["85123A"].values
    assert heart["title"] == "White Hanging Heart T-Light Holder"  # most common description
    assert heart["category"] == "home/lighting"
    assert heart["price"] == Decimal("2.95")  # median of 2.55, 2.95, 3.25
    assert heart["title"] in heart["description"]

    assert [inv.invoice_no for inv in data.invoices] == ["1001", "1003", "1007"]
    first = data.invoices[0]
    assert (first.customer_id, first.country) == ("17850", "GB")
    assert first.placed_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
    assert first.revenue == round(6 * 2.55 + 6 * 3.39, 2)
    assert data.invoices[1].country == "IE"
    assert data.invoices[2].country is None  # "Unspecified"
    assert data.customer_ids == ["12583", "13047", "17850"]


def test_limit_stops_before_the_next_customer_invoice() -> None:
    data = parse(SAMPLE, limit=1)
    assert [inv.invoice_no for inv in data.invoices] == ["1001"]
    assert sorted(p.product_id for p in data.products) == ["71053", "85123A"]


def test_rejects_a_file_with_other_columns() -> None:
    with pytest.raises(ValueError, match="not an Online Retail CSV"):
        parse("customer_id,age_band\n1,18-24\n")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("85123A", True),
        ("DCGSSBOY", True),
        ("POST", False),
        ("BANK CHARGES", False),
        ("m", False),
        ("gift_0001_40", False),
        ("AMAZONFEE", False),
        ("", False),
    ],
)
def test_is_product_code(code: str, expected: bool) -> None:
    assert is_product_code(code) is expected


def test_tidy_title() -> None:
    assert tidy_title("SET OF 3 CAKE TINS PANTRY DESIGN") == "Set of 3 Cake Tins Pantry Design"
    assert tidy_title("CHILDREN'S  APRON,DOLLY GIRL") == "Children's Apron Dolly Girl"
    assert tidy_title("SMALL LED NIGHT LIGHT 60CM") == "Small LED Night Light 60cm"


def test_out_of_stock_is_stable_and_rare() -> None:
    codes = [str(20000 + n) for n in range(4000)]
    share = sum(is_out_of_stock(code) for code in codes) / len(codes)
    assert 0.015 < share < 0.045
    assert [is_out_of_stock(c) for c in codes[:50]] == [is_out_of_stock(c) for c in codes[:50]]


def test_shift_moves_the_last_invoice_to_yesterday_in_whole_days() -> None:
    invoices = [
        Invoice("1", "1", datetime(2011, 12, 9, 12, 50, tzinfo=UTC), "GB"),
        Invoice("2", "1", datetime(2011, 6, 1, 9, 0, tzinfo=UTC), "GB"),
    ]
    shift = replay_shift(invoices, date(2026, 11, 26))
    assert invoices[0].placed_at + shift == datetime(2026, 11, 25, 12, 50, tzinfo=UTC)
    assert shift % timedelta(days=1) == timedelta(0)


def test_purchase_event_caps_items_but_keeps_full_revenue() -> None:
    invoice = Invoice("581219", "17850", datetime(2011, 12, 8, 9, 28, tzinfo=UTC), None)
    invoice.lines = [InvoiceLine(f"P{n}", 2, 1.25) for n in range(250)]
    categories = {f"P{n}": "home/gifts" for n in range(250)}
    event = purchase_event(invoice, "kabc", timedelta(days=10), categories)

    assert len(event["properties"]["items"]) == 200
    assert event["properties"]["revenue"] == 625.0
    assert event["timestamp"] == "2011-12-18T09:28:00Z"
    assert event["context"] == {"device": "desktop"}  # no country when unknown
    assert event["properties"]["items"][0] == {
        "product_id": "P0",
        "quantity": 2,
        "price": 1.25,
        "category": "home/gifts",
    }


def test_customer_chunks_keep_a_customers_invoices_together() -> None:
    at = datetime(2011, 1, 1, tzinfo=UTC)
    invoices = [Invoice(str(n), customer, at, "GB") for n, customer in enumerate("aabbbcac")]
    chunks = list(customer_chunks(invoices, 4))
    assert [[inv.invoice_no for inv in chunk] for chunk in chunks] == [
        ["0", "1", "6"],
        ["2", "3", "4"],
        ["5", "7"],
    ]
