"""Staff groups and the staff API: each group reaches what its model permissions allow,
through session or token authentication; the visitor still reaches their own data."""

import json

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.tests.factories import component, placement
from core.staff_groups import ADMINISTRATORS, ANALYSTS, MARKETING_EDITORS, ensure_staff_groups
from experiments.models import Experiment
from segments.services import segment_save
from tracking.models import VisitorProfile
from tracking.services import ingest_events
from tracking.tests.factories import make_event

pytestmark = pytest.mark.django_db

RULE = {"field": "profile.cart.items", "op": "gt", "value": 0}


@pytest.fixture
def groups():
    return ensure_staff_groups()


@pytest.fixture
def member(groups, django_user_model):
    """A staff user of one group, calling the API with a token (headless)."""

    def make(group_name: str | None, username: str = "someone") -> APIClient:
        user = django_user_model.objects.create_user(
            username=username, password="pw-staff-123", is_staff=True
        )
        if group_name:
            user.groups.add(groups[group_name])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def hero():
    placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a", heading="A"), "is_fallback": True},
            {"key": "b", "component": component("hero-b", heading="B"), "priority": 10},
        ],
    )


def test_groups_are_created_idempotently(groups):
    again = ensure_staff_groups()
    assert Group.objects.filter(name__in=[MARKETING_EDITORS, ANALYSTS, ADMINISTRATORS]).count() == 3
    for name, group in groups.items():
        assert set(again[name].permissions.all()) == set(group.permissions.all())
    editors = {p.codename for p in groups[MARKETING_EDITORS].permissions.all()}
    assert {"add_segment", "delete_segment", "publish_placement", "change_experiment"} <= editors
    assert {"access_admin", "view_visitorprofile"} <= editors
    assert "delete_visitorprofile" not in editors
    analysts = {p.codename for p in groups[ANALYSTS].permissions.all()}
    assert {"view_segment", "view_experiment", "view_resultsnapshot", "view_variantstats"} <= (
        analysts
    )
    assert not {c for c in analysts if not c.startswith("view_") and c != "access_admin"}
    assert not analysts & {"view_visitorprofile", "view_event", "view_segmentmembership"}


def test_an_analyst_token_reads_segments_but_cannot_create_one(member):
    segment_save(key="carters", name="Carters", rule=RULE)
    analyst = member(ANALYSTS)

    assert analyst.get("/api/v1/segments").status_code == 200
    assert analyst.get("/api/v1/segments/carters").status_code == 200
    assert analyst.get("/api/v1/experiments").status_code == 200
    assert analyst.get("/api/v1/recommendations/models").status_code == 200
    refused = post(analyst, "/api/v1/segments", {"key": "x", "name": "X", "rule": RULE})
    assert refused.status_code == 403
    assert analyst.delete("/api/v1/segments/carters").status_code == 403
    assert post(analyst, "/api/v1/recommendations/train").status_code == 403


def test_segment_members_are_visitor_data_analysts_do_not_see(member):
    segment_save(key="carters", name="Carters", rule=RULE)

    assert member(ANALYSTS, "ann").get("/api/v1/segments/carters/members").status_code == 403
    editor = member(MARKETING_EDITORS, "ed")
    assert editor.get("/api/v1/segments/carters/members").status_code == 200


def test_a_marketing_editor_creates_a_segment_and_runs_an_experiment(member, hero):
    editor = member(MARKETING_EDITORS)

    created = post(editor, "/api/v1/segments", {"key": "carters", "name": "C", "rule": RULE})
    assert created.status_code == 201, created.content
    experiment = post(
        editor,
        "/api/v1/experiments",
        {
            "key": "hero-test",
            "placement": "home-hero",
            "arms": [{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
        },
    )
    assert experiment.status_code == 201, experiment.content
    started = post(editor, "/api/v1/experiments/hero-test/start")
    assert started.status_code == 200 and started.json()["status"] == "running"
    assert post(editor, "/api/v1/experiments/hero-test/promote", {"arm": "b"}).status_code == 200
    assert Experiment.objects.get(key="hero-test").winner == "b"


def test_an_analyst_cannot_start_an_experiment(member, hero):
    from experiments.services import experiment_create

    experiment_create(
        key="hero-test",
        name="hero-test",
        placement_key="home-hero",
        arms=[{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
    )
    assert post(member(ANALYSTS), "/api/v1/experiments/hero-test/start").status_code == 403
    assert Experiment.objects.get(key="hero-test").status == Experiment.Status.DRAFT


def test_staff_without_a_group_are_refused_everywhere(member):
    ingest_events([make_event(visitor_id="v1")])
    nobody = member(None)

    for url in (
        "/api/v1/segments",
        "/api/v1/experiments",
        "/api/v1/recommendations/models",
        "/api/v1/recommendations/ctr",
        "/api/v1/visitors/v1",
        "/api/v1/visitors/v1/export",
    ):
        assert nobody.get(url).status_code == 403, url
    assert nobody.delete("/api/v1/visitors/v1").status_code == 403


def test_visitor_data_needs_the_visitor_profile_permissions(member):
    ingest_events([make_event(visitor_id="v1"), make_event(visitor_id="v2")])
    analyst = member(ANALYSTS, "ann")
    editor = member(MARKETING_EDITORS, "ed")
    administrator = member(ADMINISTRATORS, "root")

    assert analyst.get("/api/v1/visitors/v1").status_code == 403
    assert analyst.get("/api/v1/visitors/v1/export").status_code == 403
    assert editor.get("/api/v1/visitors/v1").status_code == 200
    assert editor.delete("/api/v1/visitors/v1").status_code == 403
    assert administrator.get("/api/v1/visitors/v2/export").status_code == 200
    assert administrator.delete("/api/v1/visitors/v2").status_code == 204
    assert list(VisitorProfile.objects.values_list("visitor_id", flat=True)) == ["v1"]


def test_the_visitor_themself_still_reaches_their_data(client):
    own_id = client.get("/api/v1/visitors/unknown").cookies["pz_vid"].value.split(":")[0]
    ingest_events([make_event(visitor_id=own_id)])

    assert client.get(f"/api/v1/visitors/{own_id}").status_code == 200
    assert client.get("/api/v1/visitors/someone-else").status_code == 403
