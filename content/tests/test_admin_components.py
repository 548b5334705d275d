"""Component editing: allowed placeholders as help, unknown ones reported as a warning
that never blocks the save."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content.forms import body_unknown_tokens
from content.models import Component
from content.tests.factories import component

pytestmark = pytest.mark.django_db

EDIT_URL = "wagtailsnippets_content_component:edit"


def hero_data(heading: str, subheading: str = "") -> dict:
    value = {
        "heading": heading,
        "subheading": subheading,
        "image": "",
        "cta_text": "Shop",
        "cta_url": "/",
        "theme": "dark",
    }
    return nested_form_data({"name": "Hero", "key": "hero", "body": streamfield([("hero", value)])})


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_unknown_placeholders_are_found_in_any_text():
    body = [
        {
            "type": "offer",
            "value": {
                "heading": 'Hi {{ visitor.first_name|default:"there" }} {{ visitor.shoe_size }}',
                "text": "<p>{{ settings.SECRET_KEY }} {% load evil %} {{ visitor.shoe_size }}</p>",
                "percent": 10,
            },
        }
    ]

    assert body_unknown_tokens(body) == [
        "visitor.shoe_size",
        "settings.SECRET_KEY",
        "{% load evil %}",
    ]


def test_saving_with_unknown_placeholders_warns_but_saves(admin_client):
    hero = component("hero", heading="Welcome")
    url = reverse(EDIT_URL, args=[hero.pk])

    response = admin_client.post(
        url,
        hero_data("Hi {{ visitor.nickname }}", "{{ shop.name }} {{ offer.secret }}"),
        follow=True,
    )

    assert response.status_code == 200
    warnings = [m for m in messages_of(response) if m.startswith("Unknown placeholders")]
    assert warnings == [
        "Unknown placeholders (shown as their default, or nothing): visitor.nickname, offer.secret"
    ]
    draft = Component.objects.get(pk=hero.pk).get_latest_revision_as_object()
    assert draft.body[0].value["heading"] == "Hi {{ visitor.nickname }}"


def test_clean_text_saves_without_a_warning(admin_client):
    hero = component("hero", heading="Welcome")

    response = admin_client.post(
        reverse(EDIT_URL, args=[hero.pk]),
        hero_data('Hi {{ visitor.first_name|default:"you" }}'),
        follow=True,
    )

    assert not [m for m in messages_of(response) if m.startswith("Unknown placeholders")]


def test_the_edit_page_lists_allowed_and_unknown_placeholders(admin_client):
    hero = component("hero", heading="Hello {{ visitor.nickname }}")

    html = admin_client.get(reverse(EDIT_URL, args=[hero.pk])).content.decode()

    assert "{{ visitor.first_name }}" in html and "{{ segment.discount_code }}" in html
    assert "Unknown placeholders: <code>visitor.nickname</code>" in html


@pytest.mark.parametrize("action", [{}, {"action-publish": "action-publish"}])
def test_a_taken_key_is_a_form_error_that_keeps_what_was_typed(admin_client, action):
    component("hero", heading="Welcome")  # key "hero", name "Hero"
    data = {**hero_data("My new heading"), "name": "Second hero", **action}

    response = admin_client.post(reverse("wagtailsnippets_content_component:add"), data)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["key"] == ["Another component already uses the key “hero”."]
    assert form["name"].value() == "Second hero"
    assert "My new heading" in response.content.decode()
    assert Component.objects.filter(key="hero").count() == 1


def test_editing_keeps_its_own_key_but_cannot_take_another(admin_client):
    hero = component("hero", heading="Welcome")
    component("other")
    url = reverse(EDIT_URL, args=[hero.pk])

    assert admin_client.post(url, hero_data("Still mine")).status_code == 302
    data = {**hero_data("Taken"), "key": "other"}
    response = admin_client.post(url, {**data, "action-publish": "action-publish"})

    assert response.status_code == 200
    assert "key" in response.context["form"].errors


@pytest.mark.parametrize("view", ["list", "list_results"])
def test_searching_components_finds_by_name_and_key(admin_client, view):
    component("hero-vip", heading="VIP")
    component("offer-spring", kind="offer")

    url = reverse(f"wagtailsnippets_content_component:{view}")
    response = admin_client.get(url, {"q": "vip"})

    assert response.status_code == 200
    assert [c.key for c in response.context["object_list"]] == ["hero-vip"]
