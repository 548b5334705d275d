"""Guardrail metrics: computed with the results (rate per arm, interval, a harmed verdict
from the primary metric's always-valid test), shown in the results API, and blocking the
promotion of an arm that harms one unless an editor overrides with a logged reason."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from wagtail.models import ModelLogEntry

from experiments import statistics as st
from experiments.models import Experiment, Exposure
from experiments.services import (
    ExperimentError,
    compute_results,
    experiment_create,
    experiment_start,
    promote_winner,
)
from tracking.services import ingest_events


def counts(control: tuple[int, int], treatment: tuple[int, int]) -> list[st.ArmCounts]:
    return [st.ArmCounts("a", *control), st.ArmCounts("b", *treatment)]


def test_a_rising_bad_event_harms_and_a_falling_one_does_not():
    rising = st.analyse_guardrail(
        "remove_from_cart", counts((5000, 500), (5000, 650)), control="a", harm="increase"
    )
    assert rising.harmed_arms == ["b"]
    b = rising.arms[1]
    assert b.difference == pytest.approx(0.03)
    assert 0 < b.difference_low < 0.03 < b.difference_high
    assert b.always_valid_p < 0.05

    falling = st.analyse_guardrail(
        "remove_from_cart", counts((5000, 650), (5000, 500)), control="a", harm="increase"
    )
    assert falling.harmed_arms == [] and falling.arms[1].always_valid_p < 0.05


def test_a_good_event_that_drops_harms():
    result = st.analyse_guardrail(
        "add_to_cart", counts((5000, 1500), (5000, 1300)), control="a", harm="decrease"
    )
    assert result.harmed_arms == ["b"]


def test_small_samples_are_not_called_harmed_and_a_verdict_carries_across_looks():
    early = st.analyse_guardrail(
        "remove_from_cart", counts((100, 10), (100, 14)), control="a", harm="increase"
    )
    assert early.harmed_arms == [] and early.arms[1].always_valid_p > 0.05
    carried = st.analyse_guardrail(
        "remove_from_cart",
        counts((100, 10), (100, 14)),
        control="a",
        harm="increase",
        previous_always_valid={"b": 0.01},
    )
    assert carried.harmed_arms == ["b"]


def test_the_interval_excludes_zero_exactly_when_the_test_rejects():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(200, 5000))
        a, b = int(rng.binomial(n, 0.1)), int(rng.binomial(n, 0.1 * rng.uniform(0.8, 1.3)))
        arm = st.analyse_guardrail(
            "remove_from_cart", counts((n, a), (n, b)), control="a", harm="increase"
        ).arms[1]
        excludes_zero = arm.difference_low > 0 or arm.difference_high < 0
        assert excludes_zero == (arm.always_valid_p < 0.05)


def test_peeking_at_an_aa_guardrail_rarely_calls_harm():
    rng = np.random.default_rng(11)
    sims, looks, batch, harmed = 400, 20, 250, 0
    for _ in range(sims):
        control = np.cumsum(rng.binomial(batch, 0.08, looks))
        treatment = np.cumsum(rng.binomial(batch, 0.08, looks))
        previous: dict[str, float] = {}
        for look in range(looks):
            n = batch * (look + 1)
            result = st.analyse_guardrail(
                "remove_from_cart",
                counts((n, int(control[look])), (n, int(treatment[look]))),
                control="a",
                harm="increase",
                previous_always_valid=previous,
            )
            previous = {"b": result.arms[1].always_valid_p}
        harmed += bool(result.harmed_arms)
    assert harmed / sims <= 0.05


NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def guarded_experiment() -> Experiment:
    """b converts better on the goal but sends many more visitors to remove from cart."""
    experiment = experiment_start(
        experiment=experiment_create(
            key="hero-test",
            name="Hero test",
            placement_key="home-hero",
            arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
            guardrail_events=["remove_from_cart", "add_to_cart"],
        )
    )
    exposed_at = NOW - timedelta(days=2)
    Exposure.objects.bulk_create(
        Exposure(
            experiment=experiment, arm=arm, visitor_id=f"{arm}{i}", first_exposed_at=exposed_at
        )
        for arm in ("a", "b")
        for i in range(1000)
    )
    at = (NOW - timedelta(days=1)).isoformat()
    events = [
        {
            "type": "remove_from_cart",
            "visitor_id": f"{arm}{i}",
            "timestamp": at,
            "properties": {"product_id": "P1"},
        }
        for arm, count in (("a", 60), ("b", 200))
        for i in range(count)
    ]
    events += [
        {
            "type": "purchase",
            "visitor_id": f"{arm}{i}",
            "timestamp": at,
            "properties": {"order_id": f"{arm}{i}", "revenue": 10},
        }
        for arm, count in (("a", 100), ("b", 180))
        for i in range(count)
    ]
    for start in range(0, len(events), 500):
        assert ingest_events(events[start : start + 500]).accepted == len(
            events[start : start + 500]
        )
    return experiment


@pytest.mark.django_db(transaction=True)
def test_results_api_reports_guardrails_and_promotion_needs_an_override(hero, staff_client):
    experiment = guarded_experiment()
    compute_results(experiment_id=experiment.pk)

    results = staff_client.get("/api/v1/experiments/hero-test/results").json()
    assert results["decision"] == "winner:b" and results["estimator"] == "pooled"
    by_event = {g["event"]: g for g in results["guardrails"]}
    assert by_event["remove_from_cart"]["harm"] == "increase"
    assert by_event["remove_from_cart"]["harmed_arms"] == ["b"]
    b = by_event["remove_from_cart"]["arms"][1]
    assert (b["key"], b["exposures"], b["visitors"]) == ("b", 1000, 200)
    assert b["rate"] == pytest.approx(0.2) and b["harmed"] is True
    assert b["difference_low"] > 0 and b["always_valid_p"] < 0.05
    assert by_event["add_to_cart"]["harm"] == "decrease"
    assert by_event["add_to_cart"]["harmed_arms"] == []

    refused = staff_client.post(
        "/api/v1/experiments/hero-test/promote",
        data=json.dumps({"arm": "b"}),
        content_type="application/json",
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert "remove_from_cart" in error["message"] and "override_reason" in error["fields"]
    assert Experiment.objects.get(pk=experiment.pk).status == "running"

    promoted = staff_client.post(
        "/api/v1/experiments/hero-test/promote",
        data=json.dumps({"arm": "b", "override_reason": "Removals are duplicates from a bug"}),
        content_type="application/json",
    )
    assert promoted.status_code == 200 and promoted.json()["winner"] == "b"
    entry = ModelLogEntry.objects.get(action="pz.experiment.promote_override")
    assert entry.user.username == "staff"
    assert entry.data["after"]["guardrail_override"] == {
        "harmed": ["remove_from_cart"],
        "reason": "Removals are duplicates from a bug",
    }


@pytest.mark.django_db(transaction=True)
def test_an_arm_that_harms_no_guardrail_promotes_without_override(hero):
    experiment = guarded_experiment()
    promote_winner(experiment=experiment, arm_key="a")
    assert Experiment.objects.get(pk=experiment.pk).winner == "a"
    assert ModelLogEntry.objects.filter(action="pz.experiment.promote").exists()


@pytest.mark.django_db(transaction=True)
def test_a_blank_override_reason_is_no_reason(hero):
    experiment = guarded_experiment()
    with pytest.raises(ExperimentError) as refused:
        promote_winner(experiment=experiment, arm_key="b", override_reason="   ")
    assert refused.value.status_code == 409 and "override_reason" in refused.value.fields


@pytest.fixture
def editor_client(django_user_model):
    from django.test import Client

    user = django_user_model.objects.create_superuser(username="editor", password="pw-ed-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_the_report_and_promote_screens_show_the_harm_and_ask_for_a_reason(hero, editor_client):
    experiment = guarded_experiment()
    compute_results(experiment_id=experiment.pk)

    report = editor_client.get(f"/admin/experiments/inspect/{experiment.pk}/").content.decode()
    assert 'data-guardrail="remove_from_cart"' in report and "Harmed" in report
    assert 'data-report="winner-harms"' in report and "Promote (needs a reason)" in report

    url = f"/admin/experiments/promote/{experiment.pk}/b/"
    page = editor_client.get(url).content.decode()
    assert 'data-promote="harmed"' in page and 'name="override_reason"' in page

    refused = editor_client.post(url, {"override_reason": ""})
    assert refused.status_code == 200
    assert "needs an override reason" in refused.content.decode()
    assert Experiment.objects.get(pk=experiment.pk).status == "running"

    promoted = editor_client.post(url, {"override_reason": "Removals are a tracking bug"})
    assert promoted.status_code == 302
    assert Experiment.objects.get(pk=experiment.pk).winner == "b"
    entry = ModelLogEntry.objects.get(action="pz.experiment.promote_override")
    assert entry.user.username == "editor"
    assert entry.data["after"]["guardrail_override"]["reason"] == "Removals are a tracking bug"
    history = editor_client.get(f"/admin/experiments/history/{experiment.pk}/").content.decode()
    assert (
        "Winner promoted over the harmed guardrail remove_from_cart. "
        "Reason: Removals are a tracking bug"
    ) in history


@pytest.mark.django_db(transaction=True)
def test_promoting_an_unharmed_arm_asks_for_no_reason(hero, editor_client):
    experiment = guarded_experiment()
    compute_results(experiment_id=experiment.pk)
    url = f"/admin/experiments/promote/{experiment.pk}/a/"
    assert 'name="override_reason"' not in editor_client.get(url).content.decode()
    assert editor_client.post(url, {}).status_code == 302
    assert Experiment.objects.get(pk=experiment.pk).winner == "a"
