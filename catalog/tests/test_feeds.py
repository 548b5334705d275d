"""Feed files into items: CSV and TSV with pz's or Merchant Center's columns, JSON Lines,
and Merchant Center RSS/Atom XML read safely."""

import io

import pytest

from catalog.feeds import FeedError, guess_format, read_feed


def items(text: str | bytes, fmt: str) -> list:
    data = text.encode() if isinstance(text, str) else text
    return list(read_feed(io.BytesIO(data), format=fmt))


def test_csv_with_pz_columns_leaves_empty_cells_out_and_groups_attributes() -> None:
    feed = items(
        "product_id,title,price,category,attributes.color,stock\n"
        'A,"Lamp, brass",9.5,home/lighting,gold,\n'
        "\n"
        "B,Mug,,kitchen,,3\n"
        "C,broken\n",
        "csv",
    )
    assert [(e.line, e.item) for e in feed[:2]] == [
        (2, {"product_id": "A", "title": "Lamp, brass", "price": "9.5",
             "category": "home/lighting", "attributes": {"color": "gold"}}),
        (4, {"product_id": "B", "title": "Mug", "category": "kitchen", "stock": "3"}),
    ]  # fmt: skip
    assert feed[2].line == 5 and "row" in feed[2].errors


def test_merchant_center_tsv_maps_googles_attributes() -> None:
    feed = items(
        "id\ttitle\tlink\timage_link\tprice\tsale_price\tavailability\tbrand\t"
        "product_type\tcolor\tgtin\n"
        "85123A\tHeart Holder\thttps://shop.example/p/85123a\thttps://cdn.example/a.jpg\t"
        "2.95 GBP\t2.50 GBP\tout of stock\tAcme\tHome > Lighting\tWhite\t\n",
        "tsv",
    )
    assert feed[0].item == {
        "product_id": "85123A",
        "title": "Heart Holder",
        "url": "https://shop.example/p/85123a",
        "image_url": "https://cdn.example/a.jpg",
        "brand": "Acme",
        "price": "2.95",
        "sale_price": "2.50",
        "currency": "GBP",
        "in_stock": False,
        "category": "Home > Lighting",
        "attributes": {"color": "White"},
    }


RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">
<channel><title>Shop</title>
<item>
  <title>RSS title</title><g:title>Mug</g:title><link>https://shop.example/mug</link>
  <g:id>M-1</g:id><g:price>4.00 EUR</g:price><g:availability>in_stock</g:availability>
  <g:google_product_category>Home &amp; Garden &gt; Kitchen</g:google_product_category>
  <g:shipping><g:country>DE</g:country></g:shipping>
  <g:additional_image_link>https://cdn.example/1.jpg</g:additional_image_link>
  <g:additional_image_link>https://cdn.example/2.jpg</g:additional_image_link>
</item>
<item><g:id>M-2</g:id><g:title>Cup</g:title><g:price>3 EUR</g:price></item>
</channel></rss>"""


def test_merchant_center_rss_with_the_g_namespace() -> None:
    first, second = items(RSS, "xml")
    assert first.line == 1 and first.item == {
        "product_id": "M-1",
        "title": "Mug",
        "url": "https://shop.example/mug",
        "price": "4.00",
        "currency": "EUR",
        "in_stock": True,
        "category": "Home & Garden > Kitchen",
        "attributes": {
            "google_product_category": "Home & Garden > Kitchen",
            "additional_image_link": ["https://cdn.example/1.jpg", "https://cdn.example/2.jpg"],
        },
    }
    assert second.item["product_id"] == "M-2" and second.item["price"] == "3"


def test_merchant_center_atom() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:g="http://base.google.com/ns/1.0">'
        '<entry><g:id>A-1</g:id><title>Tent</title><link href="https://s.example/t"/>'
        "<g:price>10.00 USD</g:price></entry></feed>"
    )
    (entry,) = items(atom, "xml")
    assert entry.item == {
        "product_id": "A-1",
        "title": "Tent",
        "url": "https://s.example/t",
        "price": "10.00",
        "currency": "USD",
    }


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>&x;</g:id>'
        "</item></channel></rss>",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<rss><channel><item><title>&b;</title></item></channel></rss>",
    ],
)
def test_entities_and_external_references_are_refused(hostile: str) -> None:
    with pytest.raises(FeedError, match="unsafe XML"):
        items(hostile, "xml")


def test_json_lines_report_a_bad_line_and_keep_the_rest() -> None:
    feed = items('{"product_id": "A", "price": 1}\n{oops\n\n{"product_id": "B"}\n', "jsonl")
    assert [e.line for e in feed] == [1, 2, 4]
    assert feed[1].item is None and "not valid JSON" in feed[1].errors["line"]


def test_a_file_that_is_no_feed_is_one_error() -> None:
    with pytest.raises(FeedError, match="no product_id column"):
        items("name,cost\nx,1\n", "csv")
    with pytest.raises(FeedError, match="not well-formed"):
        items("<rss><channel><item>", "xml")
    assert guess_format("feed.TXT") == "tsv" and guess_format("p.jsonl") == "jsonl"
    with pytest.raises(FeedError):
        guess_format("feed.pdf")
