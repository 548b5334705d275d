"""Personalized blocks on Wagtail pages: the audience chooses the variant, every block of
a page joins one decision, and `block:<page id>:<block id>` works in the decide API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pages.block_catalog import block_key
from pages.tests.factories import home_page, personalized
from personalization.services import decide
from segments.services import segment_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    return segment_save(
        key="vip", name="VIP", rule={"field": "profile.orders", "op": "gt", "value": 5}
    )


def hero_block(index: int = 0):
    return personalized(
        f"Hero {index}",
        f"Welcome {index}",
        [
            ("vip", {"segments_any": ["vip"]}, f"Hello VIP {index}"),
            ("mobile", {"device": "mobile"}, f"On the go {index}"),
            ("german", {"countries": "de, at"}, f"Hallo {index}"),
        ],
    )


def test_a_new_visitor_gets_the_fallback_and_the_page_is_private(client, vip):
    home_page([hero_block()])
    response = client.get("/")
    html = response.content.decode()
    assert "Welcome 0" in html and "Hello VIP" not in html
    assert "<!--pz:placement:" not in html  # every marker filled
    assert 'data-pz-variant="default"' in html
    assert "private" in response["Cache-Control"]


def test_context_conditions_choose_the_variant(client, vip):
    home_page([hero_block()])
    mobile = client.get("/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone; Mobile) Safari").content
    assert b"On the go 0" in mobile
    german = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content
    assert b"Hallo 0" in german


def test_decide_api_resolves_page_blocks_by_key(api_client, vip):
    page = home_page([hero_block()])
    key = block_key(page.pk, page.body[0].id)
    body = {
        "placements": [key, f"block:{page.pk}:nope", "block:999999:x"],
        "context": {"device": "mobile"},
    }
    response = api_client.post("/api/v1/decide", body, format="json")
    assert response.status_code == 200, response.content
    placements = response.json()["placements"]
    assert placements[key]["variant"] == "mobile"
    assert placements[key]["reason"] == "context"
    assert "On the go 0" in placements[key]["html"]
    assert placements[f"block:{page.pk}:nope"] is None
    assert placements["block:999999:x"] is None


def test_a_segment_member_gets_the_segment_variant(vip):
    page = home_page([hero_block()])
    key = block_key(page.pk, page.body[0].id)
    decision = decide(visitor_id=None, placement_keys=[key], context={}, forced_segments=["vip"])
    assert decision.placements[key].variant == "vip"
    assert decision.placements[key].reason.label == "segment:vip"


def test_five_blocks_cost_the_queries_of_one(client, vip):
    """One decision for all blocks of a page: the page's query count does not grow."""
    one = home_page([hero_block(0)])
    client.get("/")  # warm the catalogs and Wagtail's site cache
    with CaptureQueriesContext(connection) as single:
        assert b"Welcome 0" in client.get("/").content
    one.body = [hero_block(i) for i in range(5)]
    one.save_revision().publish()
    client.get("/")
    with CaptureQueriesContext(connection) as five:
        html = client.get("/").content.decode()
    assert all(f"Welcome {i}" in html for i in range(5))
    assert len(five.captured_queries) == len(single.captured_queries), "\n".join(
        q["sql"][:150] for q in five.captured_queries
    )
