"""Placement editing in the Wagtail admin: the fallback and key rules across the variant
formset, context rules reported with their node path, and drafts that are not served
until they are published."""

import json
from typing import Any

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from content.models import Placement
from content.tests.factories import component, placement

pytestmark = pytest.mark.django_db(transaction=True)

ADD_URL = "wagtailsnippets_content_placement:add"
EDIT_URL = "wagtailsnippets_content_placement:edit"


def variant(key: str, component_id: int, *, fallback: bool = False, **extra: Any) -> dict:
    row = {"key": key, "component": str(component_id), "priority": "100", "context_rule": ""}
    if fallback:
        row["is_fallback"] = "on"
    return {**row, **{name: str(value) for name, value in extra.items()}}


def placement_data(variants: list[dict], *, initial: int = 0, **fields: str) -> dict:
    return nested_form_data(
        {
            "name": "Home hero",
            "key": "home-hero",
            "description": "",
            **fields,
            "variants": inline_formset(variants, initial=initial, min=1),
        }
    )


@pytest.fixture
def heroes() -> tuple[int, int]:
    return component("hero-a", heading="A").pk, component("hero-b", heading="B").pk


def form_errors(response: Any) -> list[str]:
    form = response.context["form"]
    errors = [str(error) for error in form.non_field_errors()]
    for child in form.formsets["variants"].forms:
        errors += [
            f"{name}: {error}" for name, messages in child.errors.items() for error in messages
        ]
    return errors


def test_one_fallback_saves_a_draft(admin_client, heroes):
    data = placement_data([variant("default", heroes[0], fallback=True), variant("b", heroes[1])])

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code == 302
    saved = Placement.objects.get(key="home-hero")
    assert not saved.live and saved.latest_revision is not None
    assert sorted(saved.variants.values_list("key", flat=True)) == ["b", "default"]


def test_two_fallbacks_are_rejected(admin_client, heroes):
    data = placement_data(
        [variant("default", heroes[0], fallback=True), variant("b", heroes[1], fallback=True)]
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code != 302 and not Placement.objects.exists()
    errors = form_errors(response)
    assert "Only one variant can be the fallback; 2 are marked." in errors
    assert errors.count("is_fallback: Only one variant can be the fallback.") == 2
    assert "Only one variant can be the fallback" in response.content.decode()


def test_zero_fallbacks_are_rejected(admin_client, heroes):
    data = placement_data([variant("default", heroes[0]), variant("b", heroes[1])])

    response = admin_client.post(reverse(ADD_URL), data)

    assert not Placement.objects.exists()
    assert any(
        error.startswith("Mark exactly one variant as the fallback")
        for error in form_errors(response)
    )


def test_a_placement_of_pop_ups_may_have_no_fallback(admin_client):
    popup = component("popup", kind="cta")
    popup.body = [("popup", {"heading": "Back!", "text": "", "button_text": "Go"})]
    popup.save_revision().publish()

    response = admin_client.post(reverse(ADD_URL), placement_data([variant("win-back", popup.pk)]))

    assert response.status_code == 302 and Placement.objects.get().variants.count() == 1


def test_deleted_variants_do_not_count(admin_client, heroes):
    data = placement_data(
        [
            variant("default", heroes[0], fallback=True),
            variant("b", heroes[1], fallback=True, DELETE="1"),
        ]
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code == 302
    assert list(Placement.objects.get().variants.values_list("key", flat=True)) == ["default"]


def test_variant_keys_must_be_unique(admin_client, heroes):
    data = placement_data(
        [variant("default", heroes[0], fallback=True), variant("default", heroes[1])]
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert not Placement.objects.exists()
    errors = form_errors(response)
    assert "Variant keys must be unique; repeated: default." in errors
    assert errors.count("key: Another variant of this placement has this key.") == 2


def test_a_bad_context_rule_names_the_node_path(admin_client, heroes):
    rule = json.dumps(
        {
            "all": [
                {"field": "context.device", "op": "eq", "value": "mobile"},
                {"field": "context.device", "op": "near", "value": 1},
            ]
        }
    )
    data = placement_data(
        [variant("default", heroes[0], fallback=True), variant("m", heroes[1], context_rule=rule)]
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert not Placement.objects.exists()
    assert any(
        error.startswith("context_rule: all[1].op: unknown op") for error in form_errors(response)
    )


def test_the_edit_page_and_preview_render(admin_client, heroes):
    obj = placement(
        "home-hero", [{"key": "default", "component_id": heroes[0], "is_fallback": True}]
    )

    edit = admin_client.get(reverse(EDIT_URL, args=[obj.pk]))
    preview = admin_client.post(
        reverse("wagtailsnippets_content_placement:preview_on_edit", args=[obj.pk]),
        placement_data(
            [{**variant("default", heroes[1], fallback=True), "id": str(obj.variants.get().pk)}],
            initial=1,
        ),
    )

    assert edit.status_code == 200 and "Variants" in edit.content.decode()
    assert preview.json()["is_valid"] is True
    shown = admin_client.get(
        reverse("wagtailsnippets_content_placement:preview_on_edit", args=[obj.pk])
    )
    html = shown.content.decode()
    assert shown.status_code == 200 and 'data-pz-component="hero-b"' in html
    # Each variant headed by who it is for, in words: no priority numbers.
    assert "1. Shown to everyone else" in html and "priority" not in html


def test_the_editors_order_is_the_precedence(admin_client, heroes):
    """Dragging a variant up makes it win: priorities follow the order (no numbers to
    type), and the fallback keeps its own, being tried last anyway."""
    from segments.services import segment_save

    champions = segment_save(
        key="champions", name="Champions", rule={"field": "profile.orders", "op": "gte", "value": 5}
    )
    rows = [
        variant("default", heroes[0], fallback=True),
        variant("b", heroes[1]),
        variant("c", heroes[0]),
    ]
    data = placement_data(rows)
    data["variants-1-segments_any"] = [str(champions.pk)]
    data["variants-2-ORDER"] = "1"
    data["variants-1-ORDER"] = "2"

    assert admin_client.post(reverse(ADD_URL), data).status_code == 302

    saved = Placement.objects.get(key="home-hero")
    priorities = dict(saved.variants.values_list("key", "priority"))
    assert priorities["c"] > priorities["b"]
    assert priorities["default"] == 100  # untouched

    page = admin_client.get(reverse(EDIT_URL, args=[saved.pk])).content.decode()
    summary = page[page.index("data-pz-who-sees-what") :]
    lines = [
        "<strong>Everyone</strong> → Hero-A",
        "<strong>Champions</strong> → Hero-B",
        "<strong>Everyone else</strong> → Hero-A",
    ]
    positions = [summary.index(line) for line in lines]
    assert positions == sorted(positions)
    # Each saved variant is headed (and collapsed) by its own summary line.
    assert "Champions → Hero-B" in page and "Everyone else → Hero-A" in page
    assert 'type="checkbox" name="variants-1-segments_any"' in page
    assert 'placeholder="Search segments…"' in page


def test_a_variant_without_a_key_gets_one_from_its_content(admin_client, heroes):
    rows = [variant("default", heroes[0], fallback=True), variant("", heroes[1])]
    rows.append(variant("", heroes[1]))

    response = admin_client.post(reverse(ADD_URL), placement_data(rows))

    assert response.status_code == 302, form_errors(response)
    saved = Placement.objects.get(key="home-hero")
    assert sorted(saved.variants.values_list("key", flat=True)) == ["default", "hero-b", "hero-b-2"]


def test_each_variant_condition_uses_the_rule_builder_with_one_shared_vocabulary(
    admin_client, heroes
):
    """The context condition is edited with the segment rule builder (labelled fields,
    countries by name); the page carries the registry once, whatever the variants."""
    import re

    mobile = {"field": "context.device", "op": "eq", "value": "mobile"}
    obj = placement(
        "home-hero",
        [
            {"key": "default", "component_id": heroes[0], "is_fallback": True},
            {"key": "m", "component_id": heroes[1], "context_rule": mobile},
        ],
    )

    html = admin_client.get(reverse(EDIT_URL, args=[obj.pk])).content.decode()

    assert "segments/rule-builder.js" in html
    builders = re.findall(r'<div class="rule-builder" id="([^"]+)"([^>]*)>', html)
    ids = [builder_id for builder_id, _ in builders]
    assert "id_variants-0-context_rule-builder" in ids
    assert "id_variants-__prefix__-context_rule-builder" in ids  # "Add variant"'s copy
    assert all('data-vocabulary-id="variant-rule-vocabulary"' in attrs for _, attrs in builders)
    assert all(
        "data-empty-is-null" in attrs and "data-kind-field" not in attrs for _, attrs in builders
    )
    vocabularies = re.findall(
        r'<script id="variant-rule-vocabulary" type="application/json">(.*?)</script>', html
    )
    assert len(vocabularies) == 1
    vocabulary = json.loads(vocabularies[0])
    country = {field["path"]: field for field in vocabulary["fields"]}["context.country"]
    assert (
        country["label"] == "Country" and {"value": "DE", "label": "Germany"} in country["choices"]
    )
    assert vocabulary["preview_url"] == ""  # a context condition matches no stored visitor
    assert "Only when the visit matches" in html
    assert "&quot;context.device&quot;" in html  # the rule, in the builder's textarea


def test_an_empty_condition_builder_saves_no_condition(admin_client, heroes):
    data = placement_data(
        [variant("default", heroes[0], fallback=True), variant("b", heroes[1], context_rule="")]
    )

    admin_client.post(reverse(ADD_URL), data)

    assert [v.context_rule for v in Placement.objects.get().variants.order_by("key")] == [
        None,
        None,
    ]


@pytest.mark.parametrize("rule", ["[1, 2]", "5", '"x"', '{"all": 5}', "{nope"])
def test_odd_context_conditions_are_form_errors_not_server_errors(admin_client, heroes, rule):
    admin_client.raise_request_exception = False
    data = placement_data(
        [variant("default", heroes[0], fallback=True), variant("m", heroes[1], context_rule=rule)]
    )

    response = admin_client.post(reverse(ADD_URL), data)

    assert response.status_code in (200, 400), rule
    assert any(error.startswith("context_rule: ") for error in form_errors(response))
