"""The admin's test-fire: every check and the rendered action, and no side effect."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from content.tests.factories import component, placement
from triggers import services
from triggers.matching import Check, Outcome
from triggers.models import Firing, PendingMessage, Trigger, TriggerDayCount, TriggerVisitorLock
from triggers.selectors import pending_onsite_message
from triggers.tests.factories import email_trigger, ingest, known_visitor

pytestmark = [pytest.mark.django_db, pytest.mark.time_sensitive]


def test_dry_run_shows_checks_and_the_rendered_email_without_side_effects(
    django_assert_max_num_queries,
):
    known_visitor()
    trigger = email_trigger(wait_seconds=0, daily_cap=10, quiet_start_hour=3, quiet_end_hour=4)
    ingest("add_to_cart")

    report = services.dry_run(trigger=trigger, visitor_id="v1")

    assert [step["check"] for step in report["steps"]] == list(Check)
    assert [step["label"] for step in report["steps"]] == [
        "visitor",
        "cancel event",
        "consent",
        "global holdout",
        "email address",
        "conditions",
        "quiet hours",
        "frequency cap",
        "daily cap",
    ]
    assert report["action"]["to"] == "v1@example.com"
    assert report["action"]["subject"] == "Hi Ada"
    assert "settings.SECRET_KEY" in report["action"]["unknown_tokens"][0]
    assert Firing.objects.count() == 0
    assert not TriggerVisitorLock.objects.exists() and not TriggerDayCount.objects.exists()
    assert mail.outbox == []


def test_dry_run_reports_why_it_would_not_fire():
    known_visitor()
    trigger = email_trigger(wait_seconds=0)
    report = services.dry_run(trigger=trigger, visitor_id="v1")  # empty cart, no entry
    assert not report["would_fire"] and report["outcome"] is Outcome.SKIP
    assert report["reason"] == "conditions: do not hold"


def test_onsite_popup_waits_for_the_next_request(
    django_capture_on_commit_callbacks, server_api_client
):
    known_visitor()
    placement(
        "site-popup", [{"key": "default", "component": component("quiet"), "is_fallback": True}]
    )
    popup = component("come-back", kind="hero")
    popup.body = [("popup", {"heading": "Still thinking?", "text": "Hi {{ visitor.first_name }}"})]
    popup.save()
    trigger = Trigger.objects.create(
        key="browse",
        name="Browse",
        enabled=True,
        entry_event="product_view",
        popup=popup,
        conditions={
            "events": {
                "type": "product_view",
                "within": "1h",
                "where": {"category": {"eq": "$entry.category"}},
            },
            "op": "gt",
            "value": 2,
        },
    )
    assert services.trigger_errors(trigger) == {}
    with django_capture_on_commit_callbacks(execute=True):
        ingest("product_view", "product_view")
    assert not Firing.objects.exists()  # two views: no match, no row

    with django_capture_on_commit_callbacks(execute=True):
        ingest("product_view")

    assert Firing.objects.get().status == "fired"
    assert pending_onsite_message("v1") == popup.pk
    assert PendingMessage.objects.get(visitor_id="v1").component == popup

    def decide_popup() -> dict:
        body = {"visitor_id": "v1", "placements": ["site-popup"], "context": {}}
        response = server_api_client.post("/api/v1/decide", body, content_type="application/json")
        assert response.status_code == 200
        return response.json()["placements"]["site-popup"]

    shown = decide_popup()  # the visitor's next request
    assert (shown["component"], shown["reason"]) == ("come-back", "trigger")
    assert "Hi Ada" in shown["html"]
    assert pending_onsite_message("v1") is None and not PendingMessage.objects.exists()
    assert decide_popup()["reason"] == "fallback"  # shown once


def test_builtin_templates_are_valid_and_idempotent():
    from triggers.builtin import create_builtin_triggers

    first = create_builtin_triggers(enabled=True)
    again = create_builtin_triggers(enabled=True)
    assert [t.pk for t in first] == [t.pk for t in again]
    assert len(first) == 6
    for trigger in again:
        errors = services.trigger_errors(trigger)
        if trigger.action == Trigger.Action.ONSITE:
            assert not trigger.enabled  # no pop-up component in this database
            errors.pop("popup")
        assert errors == {}, trigger.key


def test_lapsed_customer_sweep_fires_once_per_lapse(django_capture_on_commit_callbacks):
    from tracking.models import VisitorProfile
    from triggers.builtin import create_builtin_triggers

    create_builtin_triggers(enabled=True)
    Trigger.objects.exclude(key="lapsed-customer").update(enabled=False)
    Trigger.objects.filter(key="lapsed-customer").update(quiet_start_hour=None, quiet_end_hour=None)
    long_ago = timezone.now() - timedelta(days=90)
    known_visitor("old")
    known_visitor("recent")
    VisitorProfile.objects.filter(visitor_id="old").update(
        orders=2, revenue=80, last_purchase_at=long_ago, last_seen=long_ago
    )
    VisitorProfile.objects.filter(visitor_id="recent").update(
        orders=1, revenue=20, last_purchase_at=timezone.now(), last_seen=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_sweeps() == 1
        assert services.run_sweeps() == 0
    assert Firing.objects.get().visitor_id == "old"
    assert [m.to for m in mail.outbox] == [["old@example.com"]]


def test_the_global_holdout_gets_no_trigger(settings):
    known_visitor()
    trigger = email_trigger(wait_seconds=0, conditions={})
    ingest("add_to_cart")
    assert services.dry_run(trigger=trigger, visitor_id="v1")["would_fire"]

    settings.PZ_GLOBAL_HOLDOUT_SHARE = 1.0
    report = services.dry_run(trigger=trigger, visitor_id="v1")

    assert not report["would_fire"]
    assert report["reason"] == "global holdout: in the global holdout"
