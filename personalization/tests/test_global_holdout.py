"""The global holdout sees no personalization: every placement's fallback with the reason
`holdout`, no experiment, no pop-up; visitors without personalization consent are not in
it (they see what the request's context chooses)."""

import pytest

from content.tests.factories import component, placement
from experiments.models import Exposure
from experiments.services import experiment_create, experiment_start
from personalization.services import decide
from tracking.services import ingest_events, set_consent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hero():
    """`home-hero`: fallback `a`, and `b` for mobile visitors (a context rule)."""
    return placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a", heading="A"), "is_fallback": True},
            {
                "key": "b",
                "component": component("hero-b", heading="B"),
                "priority": 10,
                "context_rule": {"field": "context.device", "op": "eq", "value": "mobile"},
            },
        ],
    )


def shown(visitor_id: str = "v1") -> dict:
    decision = decide(visitor_id=visitor_id, placement_keys=["home-hero"], context=MOBILE)
    return decision.as_response()["placements"]["home-hero"]


MOBILE = {"device": "mobile"}


def seen(visitor_id: str = "v1") -> None:
    ingest_events([{"type": "page_view", "visitor_id": visitor_id, "context": MOBILE}])


def test_held_out_visitors_get_the_fallback_with_the_reason_holdout(hero, settings):
    seen()
    assert shown()["variant"] == "b"

    settings.PZ_GLOBAL_HOLDOUT_SHARE = 1.0
    held = shown()

    assert (held["variant"], held["reason"]) == ("a", "holdout")


def test_visitors_without_personalization_consent_are_in_neither_group(hero, settings):
    seen()
    set_consent(visitor_id="v1", personalization=False)
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 1.0

    assert (shown()["variant"], shown()["reason"]) == ("b", "context")


def test_the_holdout_wins_over_experiments(hero, settings):
    experiment = experiment_create(
        key="hero-test",
        name="Hero",
        placement_key="home-hero",
        arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
    )
    experiment_start(experiment=experiment)
    seen()
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 1.0

    held = shown()

    assert "experiment" not in held and held["reason"] == "holdout"
    assert not Exposure.objects.exists()


def test_the_holdout_is_sticky_across_login(hero, settings):
    """A stitched visitor keeps the bucketing id of the known customer: the same group on
    every device once they log in."""
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.5
    seen("phone")
    ingest_events([{"type": "login", "visitor_id": "phone", "properties": {"user_id": "c1"}}])
    seen("laptop")
    ingest_events([{"type": "login", "visitor_id": "laptop", "properties": {"user_id": "c1"}}])

    assert shown("phone")["reason"] == shown("laptop")["reason"]
