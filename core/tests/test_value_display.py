"""Stored JSON shown as tables and words, never as a Python repr."""

from django.template import Context, Template

from core.value_display import JSONDisplay, value_html


def test_a_dict_is_a_table_of_labelled_keys():
    html = value_html({"order_id": "536595", "revenue": 349.15, "known": True, "note": None})

    assert '<th scope="row">Order id</th><td>536595</td>' in html
    assert "<td>349.15</td>" in html and "<td>yes</td>" in html and "<td>–</td>" in html
    assert "{'" not in html and "&#x27;" not in html


def test_a_list_of_records_is_a_table_with_a_column_per_key():
    items = [
        {"product_id": "21877", "quantity": 1, "price": 1.25},
        {"product_id": "21137", "quantity": 60, "category": "home/decor"},
    ]

    html = value_html({"items": items})

    assert "<th>Product id</th><th>Quantity</th><th>Price</th><th>Category</th>" in html
    assert "<td>21137</td><td>60</td><td>–</td><td>home/decor</td>" in html


def test_lists_of_words_and_numbers_read_as_text_and_markup_is_escaped():
    assert value_html(["item_knn", "content"]) == "item_knn, content"
    assert value_html([1200, 0.123456]) == "1,200, 0.1235"
    assert value_html({"<b>": "<script>"}) == (
        '<table class="pz-values"><tbody><tr><th scope="row">&lt;b&gt;</th>'
        "<td>&lt;script&gt;</td></tr></tbody></table>"
    )
    assert value_html({}) == "–" and value_html([]) == "–"


def test_the_filters_and_the_inspect_display_agree():
    rendered = Template("{% load pz_values %}{{ value|readable }}|{{ value|as_json }}").render(
        Context({"value": {"device": "mobile"}})
    )

    table, _, json_text = rendered.partition("|")
    assert (
        table == value_html({"device": "mobile"}) == JSONDisplay({"device": "mobile"}).render_html()
    )
    assert json_text == "{\n  &quot;device&quot;: &quot;mobile&quot;\n}"
