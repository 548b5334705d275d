"""Publishing a component or placement is audited: who published, when, and the content
of the previously live revision and the published one (only what changed), whether it
was published in the Wagtail admin or in code."""

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from content.audit import PUBLISH_ACTION
from content.models import Component, Placement
from content.tests.factories import component, placement
from segments.models import Segment

pytestmark = pytest.mark.django_db

RULE = {"field": "profile.cart.items", "op": "gt", "value": 0}


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        username="editor", password="pw-editor-123", is_staff=True, is_superuser=True
    )


@pytest.fixture
def home_hero() -> Placement:
    Segment.objects.create(key="carters", name="Carters", rule=RULE)
    a, b = component("hero-a"), component("hero-b")
    return placement(
        "home-hero",
        [
            {"key": "default", "component_id": a.pk, "is_fallback": True},
            {"key": "b", "component_id": b.pk, "priority": 100},
        ],
    )


def audits(instance: Any) -> list[ModelLogEntry]:
    logs = ModelLogEntry.objects.for_instance(instance).filter(action=PUBLISH_ACTION)
    return list(logs.order_by("pk"))


def variant_b(**changes: Any) -> dict[str, Any]:
    state = {
        "component": "hero-b",
        "is_fallback": False,
        "priority": 100,
        "segments_any": [],
        "segments_all": [],
        "segments_none": [],
        "context_rule": None,
        "starts_at": None,
        "ends_at": None,
    }
    return {**state, **changes}


def assert_no_visitor_data(entries: list[ModelLogEntry]) -> None:
    text = json.dumps([entry.data for entry in entries]).lower()
    assert "visitor" not in text and "session" not in text


def test_publishing_a_placement_in_the_admin_is_audited(client, editor, home_hero):
    first_live = Placement.objects.get(pk=home_hero.pk).live_revision_id
    rows = {row.key: row for row in home_hero.variants.all()}
    carters = Segment.objects.get(key="carters")
    hero_a = Component.objects.get(key="hero-a")
    data = nested_form_data(
        {
            "name": "Home hero",
            "key": "home-hero",
            "description": "",
            "variants": inline_formset(
                [
                    {
                        "id": str(rows["default"].pk),
                        "key": "default",
                        "component": str(hero_a.pk),
                        "is_fallback": "on",
                        "context_rule": "",
                    },
                    {
                        "id": str(rows["b"].pk),
                        "key": "b",
                        "component": str(hero_a.pk),
                        "starts_at": "2030-01-01 09:00",
                        "context_rule": "",
                    },
                ],
                initial=2,
                min=1,
            ),
            "action-publish": "publish",
        }
    )
    data["variants-1-segments_any"] = [str(carters.pk)]  # a multiple choice, not a list form
    client.force_login(editor)
    started = timezone.now()

    response = client.post(
        reverse("wagtailsnippets_content_placement:edit", args=[home_hero.pk]), data
    )

    assert response.status_code == 302
    published = Placement.objects.get(pk=home_hero.pk)
    (*_, entry) = audits(published)
    assert (entry.action, entry.user) == (PUBLISH_ACTION, editor)
    assert started <= entry.timestamp <= timezone.now()
    assert entry.label == "Home hero"
    starts_at = published.variants.get(key="b").starts_at.isoformat()
    assert entry.data == {
        "before": {
            "revision": first_live,
            "name": "Home-Hero",
            "variants.b": variant_b(),
        },
        "after": {
            "revision": published.live_revision_id,
            "name": "Home hero",
            "variants.b": variant_b(
                component="hero-a",
                priority=10,  # the only targeted variant: its place sets its priority
                segments_any=["carters"],
                starts_at=starts_at,
            ),
        },
    }
    # Next to Wagtail's own entry of the same publish, by the same user.
    wagtail_entry = ModelLogEntry.objects.for_instance(published).get(
        action="wagtail.publish", revision_id=published.live_revision_id
    )
    assert wagtail_entry.user == editor
    assert_no_visitor_data(audits(published))


def test_publishing_in_code_is_audited_with_the_user(editor, home_hero):
    obj = Placement.objects.get(pk=home_hero.pk)
    before_live = obj.live_revision_id
    fallback = obj.variants.get(key="default")
    fallback.component_id = Component.objects.get(key="hero-b").pk
    obj.variants = [fallback]  # and variant b is dropped
    started = timezone.now()

    revision = obj.save_revision(user=editor)
    revision.publish(user=editor)

    first, entry = audits(obj)
    assert first.data["before"] == {} and first.data["after"]["revision"] == before_live
    assert first.user is None  # the factory publishes without a user
    assert (entry.action, entry.user) == (PUBLISH_ACTION, editor)
    assert started <= entry.timestamp <= timezone.now()
    assert entry.data["before"] == {
        "revision": before_live,
        "variants.default": {**variant_b(component="hero-a"), "is_fallback": True},
        "variants.b": variant_b(),
    }
    assert entry.data["after"] == {
        "revision": revision.pk,
        "variants.default": {**variant_b(), "is_fallback": True},
    }
    assert_no_visitor_data([first, entry])


def test_publishing_a_component_logs_the_changed_block_fields(editor):
    hero = component("hero-a", heading="Welcome")
    before_live = hero.live_revision_id
    hero.body = [("hero", {**hero.body[0].value, "heading": "Winter sale", "theme": "accent"})]

    revision = hero.save_revision(user=editor)
    revision.publish(user=editor)

    *_, entry = audits(hero)
    assert entry.user == editor
    assert entry.data == {
        "before": {"revision": before_live, "body.heading": "Welcome", "body.theme": "dark"},
        "after": {"revision": revision.pk, "body.heading": "Winter sale", "body.theme": "accent"},
    }


def test_publishing_a_component_in_the_admin_is_audited(client, editor):
    hero = component("hero-a", heading="Welcome")
    value = {
        "heading": "Welcome back",
        "subheading": "",
        "image": "",
        "cta_text": "Shop",
        "cta_url": "/",
        "theme": "dark",
    }
    data = nested_form_data(
        {
            "name": "Hero-A",
            "key": "hero-a",
            "body": streamfield([("hero", value)]),
            "action-publish": "publish",
        }
    )
    client.force_login(editor)

    response = client.post(reverse("wagtailsnippets_content_component:edit", args=[hero.pk]), data)

    assert response.status_code == 302
    *_, entry = audits(hero)
    assert entry.user == editor
    assert entry.data["before"]["body.heading"] == "Welcome"
    assert entry.data["after"]["body.heading"] == "Welcome back"
    assert set(entry.data["after"]) == {"revision", "body.heading"}


def test_after_an_unpublish_nothing_was_live_before(editor, home_hero):
    obj = Placement.objects.get(pk=home_hero.pk)
    obj.unpublish(user=editor)

    obj.save_revision(user=editor).publish(user=editor)

    *_, entry = audits(obj)
    assert entry.data["before"] == {}
    assert set(entry.data["after"]) >= {"revision", "key", "variants.default", "variants.b"}


def test_the_entry_shows_in_the_site_history_and_the_placement_history(client, editor, home_hero):
    obj = Placement.objects.get(pk=home_hero.pk)
    before_live = obj.live_revision_id
    obj.name = "Homepage hero"
    revision = obj.save_revision(user=editor)
    revision.publish(user=editor)
    client.force_login(editor)

    report = client.get("/admin/reports/site-history/").content.decode()
    history = client.get(
        reverse("wagtailsnippets_content_placement:history", args=[obj.pk])
    ).content.decode()

    assert dict(registry.get_choices())[PUBLISH_ACTION] == "Publish content (audit)"
    assert "Published content changes" in report
    assert f"revision {before_live} → {revision.pk}; changed: name" in history
