"""Catalog changes reach serving at once (not at the next periodic check) and schedule
one training: a removed or sold-out product leaves recommendations and carousels on the
next request, in every process (the catalog version is in the shared cache)."""

import pytest

from catalog.services import remove_products, save_products
from recommendations import serving
from recommendations.signal_handlers import RETRAIN_PENDING_KEY


def ids(result) -> list[str]:
    return [item["product_id"] for item in result.items]


@pytest.fixture
def slow_catalog_check(settings):
    # The production interval: only the catalog version can explain a fresh result.
    settings.PZ_RECOMMENDER_CATALOG_CHECK_SECONDS = 3600


def test_a_removed_product_leaves_results_and_carousels_at_once(
    trained, slow_catalog_check, django_capture_on_commit_callbacks
):
    assert ids(serving.recommend(strategy="similar", product_id="tent", k=1)) == ["stove"]
    carousel = serving.recommend_for_visitor(  # what a recommendations block shows
        strategy="similar", k=3, visitor_id=None, product_id="tent"
    )
    assert "stove" in [item["product_id"] for item in carousel]

    with django_capture_on_commit_callbacks(execute=True):
        assert remove_products(product_ids=["stove"]) == 1

    assert "stove" not in ids(serving.recommend(strategy="similar", product_id="tent", k=6))
    carousel = serving.recommend_for_visitor(  # what a recommendations block shows
        strategy="similar", k=3, visitor_id=None, product_id="tent"
    )
    assert carousel and "stove" not in [item["product_id"] for item in carousel]


def test_a_product_put_out_of_stock_leaves_results_at_once(
    trained, slow_catalog_check, django_capture_on_commit_callbacks
):
    assert "stove" in ids(serving.recommend(strategy="popular", k=6))

    with django_capture_on_commit_callbacks(execute=True):
        report = save_products(items=[{"product_id": "stove", "stock": 0}])
    assert (report.updated, report.rejected) == (1, [])

    assert "stove" not in ids(serving.recommend(strategy="popular", k=6))


def test_new_products_schedule_one_training(
    trained, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from recommendations import tasks

    settings.PZ_RECOMMENDER_RETRAIN_AFTER_CATALOG_SECONDS = 300
    cache.delete(RETRAIN_PENDING_KEY)
    scheduled = []
    monkeypatch.setattr(
        tasks.train_recommender_task, "apply_async", lambda **kw: scheduled.append(kw)
    )
    item = {"product_id": "kettle", "title": "Camping kettle", "price": 20}
    with django_capture_on_commit_callbacks(execute=True):
        save_products(items=[item])
        save_products(items=[{**item, "product_id": "pan", "title": "Pan"}])
        save_products(items=[item])  # unchanged: nothing to learn

    assert scheduled == [{"countdown": 300}]  # one training for the whole import
