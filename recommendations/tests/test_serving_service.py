"""recommend(): filtering, cold start, context boosts, caching and invalidation."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from recommendations import serving
from recommendations.context import SeasonRule, relative_popularity_boost, season_boost
from recommendations.tests.conftest import event

pytestmark = pytest.mark.django_db


def ids(result):
    return [item["product_id"] for item in result.items]


def test_personal_uses_recent_views_and_never_returns_them(trained, ingest):
    ingest([event("product_view", "newcomer", "mug")])

    result = serving.recommend(strategy="personal", visitor_id="newcomer", k=3)

    assert result.fallback is False
    assert ids(result)[0] == "tea"
    assert "mug" not in ids(result)


def test_purchased_items_are_never_recommended(trained):
    for strategy, product in (("personal", None), ("popular", None), ("similar", "mug")):
        result = serving.recommend(strategy=strategy, visitor_id="u4", product_id=product, k=7)
        assert not {"mug", "tea"} & set(ids(result)), strategy


def test_out_of_stock_items_disappear_once_the_catalog_changes(trained):
    assert ids(serving.recommend(strategy="similar", product_id="tent", k=1)) == ["stove"]

    Product.objects.filter(product_id="stove").update(in_stock=False)  # no updated_at

    result = serving.recommend(strategy="similar", product_id="tent", k=6)
    assert "stove" not in ids(result) and ids(result)[0] == "lamp"


def test_a_new_visitor_gets_popularity_flagged_as_fallback(trained):
    result = serving.recommend(strategy="personal", visitor_id="never-seen", k=3)

    assert result.fallback is True
    assert ids(result)[0] == "tent"  # bought by 4 of 6 visitors


def test_a_visitor_without_personalization_consent_is_treated_as_new(
    trained, ingest, django_capture_on_commit_callbacks
):
    from tracking.services import set_consent

    ingest([event("product_view", "shy", "mug")])
    assert serving.recommend(strategy="personal", visitor_id="shy").fallback is False
    with django_capture_on_commit_callbacks(execute=True):
        set_consent(visitor_id="shy", personalization=False)

    assert serving.recommend(strategy="personal", visitor_id="shy").fallback is True


def test_the_global_holdout_gets_popularity_only(trained, ingest, settings):
    ingest([event("product_view", "held", "mug")])
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 1.0

    for strategy, product in (("personal", None), ("similar", "tent")):
        result = serving.recommend(strategy=strategy, visitor_id="held", product_id=product, k=3)
        assert result.strategy == "popular", strategy
        assert ids(result) == ids(serving.recommend(strategy="popular", k=3))


def test_unknown_products_and_segments_fall_back_to_popularity(trained):
    unknown = serving.recommend(strategy="similar", product_id="no-such-sku", k=2)
    segment = serving.recommend(strategy="popular", segment="no-such-segment", k=2)

    assert unknown.fallback and ids(unknown)[0] == "tent"
    assert segment.fallback and ids(segment)[0] == "tent"


def test_bought_together_without_a_product_uses_the_cart(trained, ingest):
    ingest([event("add_to_cart", "shopper", "tent")])

    result = serving.recommend(strategy="bought_together", visitor_id="shopper", k=1)

    assert ids(result) == ["stove"] and result.fallback is False


def test_country_boost_promotes_what_that_country_buys(trained):
    overall = serving.recommend(strategy="popular", k=1)
    french = serving.recommend(strategy="popular", k=1, context={"country": "fr"})

    assert ids(overall) == ["tent"]
    # tea: bought by 3 of the 4 tent buyers' count overall (0.75), the maximum (1) in FR:
    # 0.75 · √((1 + 0.1) / (0.75 + 0.1)); tent: 1 · clip(√(0.1 / 1.1), 0.5) = 0.5.
    assert ids(french)[0] == "tea"
    assert french.items[0]["score"] == pytest.approx(0.75 * (1.1 / 0.85) ** 0.5, abs=1e-4)


def test_the_visitors_last_country_is_the_default_context(trained, ingest):
    ingest([{**event("product_view", "paris", "lamp"), "context": {"country": "FR"}}])

    result = serving.recommend(strategy="popular", visitor_id="paris", k=1)

    assert ids(result)[0] in {"mug", "tea"}


def test_season_boost_follows_the_calendar(trained, settings):
    settings.PZ_RECOMMENDER_SEASONS = {
        "christmas": {"months": [12], "categories": ["seasonal/"], "boost": 5, "off_season": 0.5}
    }
    december = datetime(2026, 12, 10, tzinfo=UTC)
    june = datetime(2026, 6, 10, tzinfo=UTC)

    assert ids(serving.recommend(strategy="popular", k=1, now=december)) == ["wreath"]
    # off season: 0.25 · 0.5, below everything bought, above the never-bought tarp
    assert ids(serving.recommend(strategy="popular", k=7, now=june))[-2:] == ["wreath", "tarp"]


def test_boost_formulas():
    boost = relative_popularity_boost(np.array([1.0, 0.0, 0.5]), np.array([0.5, 1.0, 0.5]))
    assert boost == pytest.approx([(1.1 / 0.6) ** 0.5, 0.5, 1.0])  # 0.30 clipped to 1/cap

    rule = SeasonRule.from_setting("xmas", {"months": [12], "categories": ["seasonal/xmas"]})
    assert season_boost(["seasonal/xmas", "home"], 12, [rule]).tolist() == [1.5, 1.0]
    assert season_boost(["seasonal/xmas", "home"], 6, [rule]).tolist() == [0.5, 1.0]
    assert season_boost(["home"], 6, [rule]) is None


def test_results_are_cached_until_the_visitor_acts(trained, ingest):
    ingest([event("product_view", "reader", "mug")])
    first = serving.recommend(strategy="personal", visitor_id="reader", k=3)

    with CaptureQueriesContext(connection) as queries:
        again = serving.recommend(strategy="personal", visitor_id="reader", k=3)
    assert again == first
    assert [q for q in queries.captured_queries if "tracking_event" in q["sql"]] == []

    ingest([event("product_view", "reader", "tent", days_ago=0.001)])
    after = serving.recommend(strategy="personal", visitor_id="reader", k=3)
    assert "tent" not in ids(after) and ids(after) != ids(first)


def test_carousel_items_have_title_and_price_and_never_raise(trained, monkeypatch):
    items = serving.recommend_for_visitor(
        strategy="similar", k=2, visitor_id=None, product_id="tent"
    )
    assert set(items[0]) == {"product_id", "score", "title", "price"}

    monkeypatch.setattr(serving, "loaded_model", lambda: 1 / 0)
    assert serving.recommend_for_visitor(strategy="personal", k=2, visitor_id="v1") == []


def test_an_unknown_visitor_is_looked_up_once_until_their_first_event(trained, ingest):
    serving.recommend(strategy="similar", product_id="tent", visitor_id="fresh")

    with CaptureQueriesContext(connection) as queries:
        serving.recommend(strategy="similar", product_id="tent", visitor_id="fresh", k=3)
    assert not [q for q in queries.captured_queries if "tracking_" in q["sql"]]

    ingest([event("product_view", "fresh", "mug")])
    assert ids(serving.recommend(strategy="personal", visitor_id="fresh", k=1)) == ["tea"]
