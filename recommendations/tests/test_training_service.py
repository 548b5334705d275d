"""train_recommender: events in the database → a valid, evaluated, active version; the
swap is atomic and a failure leaves the previous version serving."""

import math
import pickle

import pytest

from recommendations import services, serving
from recommendations.models import RecommenderModel
from recommendations.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_training_stores_an_active_evaluated_version(trained):
    assert trained.status == RecommenderModel.Status.READY and trained.is_active
    assert (trained.n_users, trained.n_items) == (6, 7)  # catalogue-only "tarp" included
    assert trained.n_events == 15  # one row per purchased line
    assert trained.metrics["holdout"]["test_users"] == 1  # u2, who bought tea late
    strategies = trained.metrics["strategies"]
    assert {"personal", "popularity", "ease", "item_knn", "content", "bought_together"} <= set(
        strategies
    )
    assert set(strategies["personal"]) == {"ndcg", "precision", "recall", "hit_rate", "coverage"}
    model = pickle.loads(RecommenderModel.objects.values_list("artifact", flat=True).get())  # noqa: S301
    assert model.strategy_weights == {"ease": 1.0}
    assert "country:FR" in model.segment_popularity


def test_similar_items_are_the_hand_checked_cosine_neighbours(trained):
    result = serving.recommend(strategy="similar", product_id="tent", k=3)

    # tent·stove: 3 shared buyers, |tent|=2 (4 buyers), |stove|=√3; tent·lamp: 2, |lamp|=√2.
    # Shrunk cosine (shrink 10): 3/(2√3+10) and 2/(2√2+10); scores are scaled to the best.
    assert [item["product_id"] for item in result.items[:2]] == ["stove", "lamp"]
    expected = (2 / (2 * math.sqrt(2) + 10)) / (3 / (2 * math.sqrt(3) + 10))
    assert result.items[1]["score"] == pytest.approx(expected, abs=1e-4)
    assert result.fallback is False
    assert result.items[0]["title"] == "Gas stove" and result.items[0]["price"] == 5.0


def test_bought_together_keeps_pairs_seen_in_two_orders(trained):
    result = serving.recommend(strategy="bought_together", product_id="tent", k=2)

    # Orders: tent 4, stove 3, lamp 2; tent+stove 3, tent+lamp 2 (the minimum count).
    # Cosine 3/√(4·3) and 2/√(4·2), scaled to the best.
    assert [item["product_id"] for item in result.items] == ["stove", "lamp"]
    assert result.items[1]["score"] == pytest.approx((2 / 8**0.5) / (3 / 12**0.5), abs=1e-4)


def test_bought_together_drops_pairs_seen_in_one_order(trained):
    result = serving.recommend(strategy="bought_together", product_id="wreath", k=1)

    assert result.fallback is True  # wreath was bought once, with tent and lamp


def test_a_product_nobody_bought_gets_content_neighbours(trained):
    result = serving.recommend(strategy="similar", product_id="tarp", k=1)

    assert result.items[0]["product_id"] == "tent" and result.fallback is False


def test_a_failed_training_is_recorded_and_the_previous_version_keeps_serving(trained, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(services, "train_model", broken)

    with pytest.raises(services.TrainingFailed):
        services.train_recommender(now=NOW)

    failed = RecommenderModel.objects.get(version=2)
    assert failed.status == "failed" and not failed.is_active
    assert "out of memory" in failed.error
    assert RecommenderModel.objects.get(is_active=True).version == 1
    assert serving.recommend(strategy="popular", k=1).model_version == 1


def test_readers_keep_the_old_version_while_a_new_one_trains(
    trained, monkeypatch, django_capture_on_commit_callbacks
):
    real_train_model = services.train_model
    seen_during_training = []

    def train_while_serving(*args, **kwargs):
        seen_during_training.append(serving.recommend(strategy="similar", product_id="tent"))
        assert RecommenderModel.objects.get(version=2).status == "training"
        return real_train_model(*args, **kwargs)

    monkeypatch.setattr(services, "train_model", train_while_serving)
    with django_capture_on_commit_callbacks(execute=True):
        new = services.train_recommender(now=NOW)

    assert {r.model_version for r in seen_during_training} == {1}
    assert seen_during_training[0].items
    assert new.version == 2 and new.is_active
    assert RecommenderModel.objects.get(version=1).status == "retired"
    assert serving.recommend(strategy="similar", product_id="tent").model_version == 2


def test_nothing_to_learn_from_is_a_recorded_failure(db):
    with pytest.raises(services.TrainingFailed, match="no product events"):
        services.train_recommender(now=NOW)

    assert RecommenderModel.objects.get().status == "failed"
    assert serving.recommend(strategy="personal").as_response() == {
        "strategy": "personal",
        "items": [],
        "fallback": True,
    }


def test_a_running_training_blocks_a_second_one_but_a_stale_one_does_not(shop):
    RecommenderModel.objects.create(version=1)

    with pytest.raises(services.TrainingBusy):
        services.train_recommender(now=NOW)

    RecommenderModel.objects.filter(version=1).update(created_at=NOW.replace(year=2020))
    assert services.train_recommender(now=NOW).version == 2
    assert RecommenderModel.objects.get(version=1).status == "failed"


def test_old_artifacts_are_dropped_beyond_the_kept_number(shop, settings):
    settings.PZ_RECOMMENDER_KEEP_ARTIFACTS = 1
    for _ in range(3):
        services.train_recommender(now=NOW)

    with_artifact = RecommenderModel.objects.filter(artifact__isnull=False)
    assert sorted(with_artifact.values_list("version", flat=True)) == [2, 3]


def test_the_task_returns_the_new_version_id(shop):
    from recommendations.tasks import train_recommender_task

    pk = train_recommender_task.delay().get()

    assert RecommenderModel.objects.get(pk=pk).is_active
