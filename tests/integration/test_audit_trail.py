"""Audit log: staff changes through the API land in Wagtail's log with who, what and the
changed fields before and after."""

import json

import pytest
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from content.models import Placement
from content.tests.factories import component, placement
from core.audit import changes
from experiments.models import Experiment
from segments.models import Segment

pytestmark = pytest.mark.django_db

RULE = {"field": "profile.cart.items", "op": "gt", "value": 0}


def send(client, method, url, body=None):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def entries(instance, action=None):
    logs = ModelLogEntry.objects.for_instance(instance).order_by("timestamp", "pk")
    return list(logs.filter(action=action) if action else logs)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")


@pytest.fixture
def api(admin_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_only_changed_fields_are_kept():
    assert changes({"a": 1, "b": 2}, {"a": 1, "b": 3}) == ({"b": 2}, {"b": 3})


def test_segment_create_edit_and_delete_through_the_api_are_logged(api, admin_user):
    body = {"key": "carters", "name": "Carters", "rule": RULE}
    assert send(api, "post", "/api/v1/segments", body).status_code == 201
    segment = Segment.objects.get(key="carters")
    edited = {**body, "rule": {**RULE, "value": 2}, "name": "Big carts"}
    assert send(api, "put", "/api/v1/segments/carters", edited).status_code == 200

    created, changed = entries(segment)
    assert (created.action, created.user, created.label) == (
        "wagtail.create",
        admin_user,
        "Carters",
    )
    assert created.data["before"] == {} and created.data["after"]["rule"] == RULE
    assert changed.action == "wagtail.edit" and changed.user == admin_user
    assert changed.data == {
        "before": {"name": "Carters", "rule": RULE},
        "after": {"name": "Big carts", "rule": {**RULE, "value": 2}},
    }

    assert api.delete("/api/v1/segments/carters").status_code == 204
    deleted = ModelLogEntry.objects.get(action="wagtail.delete")
    assert deleted.deleted and deleted.user == admin_user
    assert deleted.data["before"]["name"] == "Big carts"


def test_experiment_lifecycle_through_the_api_is_logged(api, admin_user):
    placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a"), "is_fallback": True},
            {"key": "b", "component": component("hero-b"), "priority": 10},
        ],
    )
    body = {
        "key": "hero-test",
        "placement": "home-hero",
        "traffic": 0.5,
        "arms": [{"key": "a", "variant": "a"}, {"key": "b", "variant": "b"}],
    }
    assert send(api, "post", "/api/v1/experiments", body).status_code == 201
    assert (
        send(api, "patch", "/api/v1/experiments/hero-test", {"weights": {"b": 70}}).status_code
        == 200
    )
    assert send(api, "post", "/api/v1/experiments/hero-test/start").status_code == 200
    assert send(api, "patch", "/api/v1/experiments/hero-test", {"traffic": 0.8}).status_code == 200
    assert (
        send(api, "post", "/api/v1/experiments/hero-test/promote", {"arm": "b"}).status_code == 200
    )

    experiment = Experiment.objects.get(key="hero-test")
    logged = entries(experiment)
    assert [entry.action for entry in logged] == [
        "wagtail.create",
        "pz.experiment.weights",
        "pz.experiment.start",
        "pz.experiment.traffic",
        "pz.experiment.stop",
        "pz.experiment.promote",
    ]
    assert {entry.user for entry in logged} == {admin_user}
    create, weights, start, traffic, stop, promote = (entry.data for entry in logged)
    assert create["after"]["arms"] == {"a": "a", "b": "b"} and create["after"]["traffic"] == 0.5
    assert weights["before"] == {"weights": {"a": 50, "b": 50}}
    assert weights["after"] == {"weights": {"a": 50, "b": 70}}
    assert (start["before"]["status"], start["after"]["status"]) == ("draft", "running")
    assert traffic == {"before": {"traffic": 0.5}, "after": {"traffic": 0.8}}
    assert stop["after"]["status"] == "stopped" and stop["after"]["winner"] == "b"
    assert promote["before"]["placement_default"] == "a"
    assert promote["after"]["placement_default"] == "b"
    published = ModelLogEntry.objects.for_instance(Placement.objects.get(key="home-hero"))
    assert published.filter(action="wagtail.publish", user=admin_user).exists()


def test_custom_actions_are_registered_for_the_site_history_report(api):
    choices = dict(registry.get_choices())
    assert choices["pz.experiment.start"] == "Start experiment"
    assert choices["pz.experiment.promote"] == "Promote winner"


def test_the_admin_form_logs_once_with_the_editor(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/segments/new/",
        {
            "name": "Carters",
            "key": "carters",
            "kind": "rule",
            "description": "",
            "parent": "",
            "rule": json.dumps(RULE),
            "is_active": "on",
            "recompute_every_minutes": 60,
            "placeholder_values": "{}",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    (entry,) = entries(Segment.objects.get(key="carters"))
    assert (entry.action, entry.user) == ("wagtail.create", admin_user)
    assert entry.data["after"]["rule"] == RULE


def test_api_changes_show_in_the_site_history_report(api, admin_user, client):
    send(api, "post", "/api/v1/segments", {"key": "carters", "name": "Carters", "rule": RULE})
    client.force_login(admin_user)

    html = client.get("/admin/reports/site-history/").content.decode()

    assert "Carters" in html and "boss" in html
