"""Experiments end to end: API lifecycle, exposures logged once when shown, stickiness
through stitching, refused weight changes, results with a real lift, winner promotion."""

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from experiments.models import Experiment, Exposure
from experiments.services import compute_results, experiment_create, experiment_start
from personalization.services import decide
from tracking.services import ingest_events, known_profile

pytestmark = pytest.mark.django_db(transaction=True)


def start(key: str = "hero-test", **kwargs) -> Experiment:
    experiment = experiment_create(
        key=key,
        name=key,
        placement_key="home-hero",
        arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
        **kwargs,
    )
    return experiment_start(experiment=experiment)


def test_api_lifecycle_and_results_contract(hero, staff_client):
    body = {
        "key": "hero-test",
        "placement": "home-hero",
        "traffic": 1.0,
        "goal": {"event": "purchase"},
        "arms": [
            {"key": "a", "variant": "a", "weight": 50},
            {"key": "b", "variant": "b", "weight": 50},
        ],
    }
    created = staff_client.post(
        "/api/v1/experiments", data=json.dumps(body), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "draft"
    again = staff_client.post(
        "/api/v1/experiments", data=json.dumps(body), content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["fields"] == {"key": "already exists"}
    assert staff_client.post("/api/v1/experiments/hero-test/start").json()["status"] == "running"
    assert staff_client.post("/api/v1/experiments/hero-test/start").status_code == 409
    decide(visitor_id="v1", placement_keys=["home-hero"], context={})
    results = staff_client.get("/api/v1/experiments/hero-test/results").json()
    assert results["decision"] in {"keep_running", "no_difference"} or results[
        "decision"
    ].startswith("winner:")
    arm = results["arms"][0]
    assert set(arm) >= {
        "key",
        "exposures",
        "conversions",
        "rate",
        "revenue_per_visitor",
        "lift",
        "lift_low",
        "lift_high",
        "p_value",
        "chance_to_beat_control",
    }
    assert "srm_flag" in results
    assert staff_client.post("/api/v1/experiments/hero-test/stop").json()["status"] == "stopped"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "key": "x",
                "placement": "nope",
                "arms": [{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
            },
            "placement",
        ),
        (
            {
                "key": "x",
                "placement": "home-hero",
                "arms": [{"key": "a", "variant": "a"}, {"key": "b", "variant": "zzz"}],
            },
            "arms[1].variant",
        ),
        ({"key": "x", "placement": "home-hero", "arms": [{"key": "a", "variant": "a"}]}, "arms"),
        (
            {
                "key": "x",
                "placement": "home-hero",
                "traffic": 2,
                "arms": [{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
            },
            "traffic",
        ),
        (
            {
                "key": "x",
                "placement": "home-hero",
                "goal": {"event": "teleport"},
                "arms": [{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
            },
            "goal.event",
        ),
    ],
)
def test_bad_experiment_input_is_a_400_naming_the_field(hero, staff_client, body, field):
    response = staff_client.post(
        "/api/v1/experiments", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_experiments_are_staff_only(hero, api_client):
    assert api_client.get("/api/v1/experiments").status_code in (401, 403)
    assert api_client.post("/api/v1/experiments/x/start").status_code in (401, 403)


def test_the_arm_is_shown_and_exposure_logged_once(hero):
    start()
    first = decide(visitor_id="v1", placement_keys=["home-hero"], context={}).placements[
        "home-hero"
    ]
    again = decide(visitor_id="v1", placement_keys=["home-hero"], context={}).placements[
        "home-hero"
    ]
    assert first.experiment == again.experiment and first.reason.label == "experiment:hero-test"
    assert first.variant == first.experiment["arm"]
    assert Exposure.objects.filter(visitor_id="v1").count() == 1


def test_weights_of_a_running_experiment_cannot_change(hero, staff_client):
    start()
    response = staff_client.patch(
        "/api/v1/experiments/hero-test",
        data=json.dumps({"weights": {"a": 90}}),
        content_type="application/json",
    )
    assert response.status_code == 409
    raised = staff_client.patch(
        "/api/v1/experiments/hero-test",
        data=json.dumps({"traffic": 0.5}),
        content_type="application/json",
    )
    assert raised.status_code == 200 and raised.json()["traffic"] == 0.5


def test_the_arm_survives_login_and_stitching(hero):
    start()
    known = known_profile("12347")
    ingest_events([{"type": "page_view", "visitor_id": known.visitor_id}])
    arms = {}
    for index in range(40):
        anon = f"anon{index}"
        ingest_events([{"type": "page_view", "visitor_id": anon}])
        arms[anon] = (
            decide(visitor_id=anon, placement_keys=["home-hero"], context={})
            .placements["home-hero"]
            .variant
        )
    # the first anonymous visitor logs in as the known customer (who never saw the test)
    ingest_events([{"type": "login", "visitor_id": "anon0", "properties": {"user_id": "12347"}}])
    after = decide(visitor_id="anon0", placement_keys=["home-hero"], context={}).placements[
        "home-hero"
    ]
    assert after.variant == arms["anon0"]
    assert (
        decide(visitor_id=known.visitor_id, placement_keys=["home-hero"], context={})
        .placements["home-hero"]
        .variant
        == arms["anon0"]
    )


def test_a_simulated_real_lift_makes_the_report_declare_the_winner(hero):
    experiment = start(minimum_detectable_effect=0.2)
    rng = random.Random(5)
    now = timezone.now()
    events = []
    for index in range(3000):
        vid = f"sim{index}"
        arm = (
            decide(
                visitor_id=vid,
                placement_keys=["home-hero"],
                context={},
                now=now - timedelta(hours=2),
            )
            .placements["home-hero"]
            .variant
        )
        rate = 0.10 if arm == "a" else 0.16
        if rng.random() < rate:
            events.append(
                {
                    "type": "purchase",
                    "visitor_id": vid,
                    "properties": {"order_id": vid, "revenue": 30.0},
                }
            )
    for batch in range(0, len(events), 500):
        ingest_events(events[batch : batch + 500])
    snapshot = compute_results(experiment_id=experiment.pk)
    assert snapshot.decision == "winner:b", snapshot.report
    arms = {arm["key"]: arm for arm in snapshot.report["arms"]}
    assert arms["a"]["exposures"] + arms["b"]["exposures"] == 3000
    assert arms["b"]["revenue_per_visitor"] > arms["a"]["revenue_per_visitor"]
    assert not snapshot.srm


def test_promoting_the_winner_makes_it_the_default_and_stops_the_test(hero, staff_client):
    start()
    response = staff_client.post(
        "/api/v1/experiments/hero-test/promote",
        data=json.dumps({"arm": "b"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "stopped" and response.json()["winner"] == "b"
    shown = decide(visitor_id="anyone", placement_keys=["home-hero"], context={}).placements[
        "home-hero"
    ]
    assert (shown.variant, shown.reason.label) == ("b", "fallback")


def test_layer_makes_experiments_exclusive(hero):
    start("first", layer_key="hero-layer", traffic=0.5)
    start("second", layer_key="hero-layer", traffic=0.5)
    seen = {}
    for index in range(200):
        decision = decide(
            visitor_id=f"l{index}", placement_keys=["home-hero"], context={}
        ).placements["home-hero"]
        seen[f"l{index}"] = decision.experiment["key"] if decision.experiment else None
    assert set(seen.values()) == {"first", "second"}
    assert Exposure.objects.values("visitor_id").distinct().count() == Exposure.objects.count()
