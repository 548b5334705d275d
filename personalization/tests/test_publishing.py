"""Placements are served as published: a saved revision or an admin draft changes
nothing until it is published."""

import pytest
from django.urls import reverse

from content.models import Placement
from content.tests.factories import placement
from content.tests.test_admin_placements import EDIT_URL, heroes, placement_data, variant
from personalization.services import decide

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["heroes"]  # the fixture


def served(key: str = "home-hero") -> tuple[str, str]:
    hero = decide(visitor_id=None, placement_keys=[key], context={}).placements[key]
    return hero.variant, hero.component


def test_a_saved_revision_is_not_served_until_published(heroes):
    obj = placement(
        "home-hero", [{"key": "default", "component_id": heroes[0], "is_fallback": True}]
    )
    assert served() == ("default", "hero-a")
    obj = Placement.objects.get(pk=obj.pk)
    fallback = obj.variants.get()
    fallback.key, fallback.component_id = "new", heroes[1]
    obj.variants = [fallback]

    revision = obj.save_revision()

    assert served() == ("default", "hero-a")
    revision.publish()
    assert served() == ("new", "hero-b")


def test_save_draft_in_the_admin_is_not_served_until_publish(admin_client, heroes):
    obj = placement(
        "home-hero", [{"key": "default", "component_id": heroes[0], "is_fallback": True}]
    )
    row = obj.variants.get()
    url = reverse(EDIT_URL, args=[obj.pk])
    data = placement_data(
        [{**variant("default", heroes[1], fallback=True), "id": str(row.pk)}], initial=1
    )

    assert admin_client.post(url, data).status_code == 302  # "Save draft"

    assert served() == ("default", "hero-a")
    assert Placement.objects.get().has_unpublished_changes
    assert admin_client.post(url, {**data, "action-publish": "publish"}).status_code == 302
    assert served() == ("default", "hero-b")
