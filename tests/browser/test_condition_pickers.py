"""The labelled field picker of the segment rule builder in the other rule editors: a
placement variant's context condition and a trigger's conditions, driven in Chromium by
the labels a marketer sees (no JSON path, no number of seconds). Screenshots go to a
folder the tests print, for people to look at."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from content.models import PlacementVariant
from triggers.models import Trigger
from triggers.tests.factories import email_trigger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshots(tmp_path: Path, name: str) -> Any:
    folder = tmp_path / name
    folder.mkdir()
    print(f"\nscreenshots: {folder}")  # noqa: T201 - for people to look at
    return folder


def pick_field(scope: Any, search: str, label: str) -> None:
    """Add a condition to the builder in `scope` and choose its field by label."""
    scope.get_by_role("button", name="+ Condition").last.click()
    scope.get_by_role("button", name="Field").last.click()
    scope.get_by_role("searchbox", name="Search fields").fill(search)
    scope.get_by_role("option", name=re.compile(f"^{re.escape(label)}")).click()


def test_a_variant_is_targeted_at_a_country_by_name(marketer, live_server, tmp_path):
    page = marketer
    shots = screenshots(tmp_path, "variant-condition")

    page.goto(f"{live_server.url}/admin/snippets/content/placement/")
    page.get_by_role("link", name="Home page hero").click()
    # A saved condition reads as labels: the mobile variant's "Device = Mobile".
    mobile = page.locator("[id^='inline_child_variants-']").filter(has_text="Hero: on the go")
    mobile.locator("[data-panel-toggle]").first.click()
    expect(mobile.get_by_role("button", name="Field")).to_have_text("Device")
    expect(mobile.get_by_role("combobox", name="Value")).to_have_value('"mobile"')
    mobile.locator("[data-rule-builder]").scroll_into_view_if_needed()
    page.screenshot(path=shots / "1-saved-condition.png")

    page.get_by_role("button", name="Add variant").click()
    page.get_by_role("button", name="Choose component").last.click()
    chooser = page.get_by_role("dialog")
    chooser.get_by_role("link", name="Hero: welcome").first.click()
    expect(chooser).to_be_hidden()
    new_variant = page.locator("[id^='inline_child_variants-']:visible").last
    builder = new_variant.locator("[data-rule-builder]")
    expect(builder.get_by_role("button", name="Edit JSON")).to_be_visible()
    expect(builder.locator("textarea")).to_be_hidden()  # JSON only behind "Edit JSON"
    pick_field(builder, "country", "Country")
    builder.get_by_role("combobox", name="Value").select_option(label="Germany")
    page.screenshot(path=shots / "2-new-variant-condition.png", full_page=True)

    builder.get_by_role("button", name="Edit JSON").click()
    expect(builder.locator("textarea")).to_have_value(re.compile(r'"value": "DE"'))
    builder.get_by_role("button", name="Use the builder").click()
    expect(builder.get_by_role("button", name="Field")).to_have_text("Country")

    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Home page hero").first).to_be_visible()
    page.screenshot(path=shots / "3-published.png", full_page=True)
    germany = PlacementVariant.objects.get(
        placement__key="home-hero", context_rule__field="context.country"
    )
    assert germany.context_rule == {"field": "context.country", "op": "eq", "value": "DE"}
    assert germany.component.name == "Hero: welcome"
    mobile_rule = PlacementVariant.objects.get(placement__key="home-hero", key="mobile")
    assert mobile_rule.context_rule == {"field": "context.device", "op": "eq", "value": "mobile"}


def test_a_trigger_is_edited_by_labels_and_durations(marketer, live_server, tmp_path):
    page = marketer
    shots = screenshots(tmp_path, "trigger-conditions")
    trigger = email_trigger(wait_seconds=30 * 60, frequency_cap_seconds=7 * 86_400)

    page.goto(f"{live_server.url}/admin/triggers/")
    expect(page.get_by_role("row", name=re.compile("cart"))).to_contain_text("after 30 minutes")
    expect(page.get_by_role("row", name=re.compile("cart"))).to_contain_text("1 per 7 days")
    page.screenshot(path=shots / "1-list.png", full_page=True)

    # A new trigger's conditions ("always", stored as {}) start as an empty builder.
    page.goto(f"{live_server.url}/admin/triggers/new/")
    expect(page.get_by_text("No conditions yet: add one below.")).to_be_visible()
    expect(page.locator(".rb-leaf--raw")).to_have_count(0)

    page.goto(live_server.url + reverse("triggers:edit", args=[trigger.pk]))
    builder = page.locator("[data-rule-builder]")
    expect(builder.get_by_role("button", name="Field")).to_have_text("Items in the cart")
    expect(page.locator("#id_wait_seconds_0")).to_have_value("30")
    expect(page.locator("#id_wait_seconds_1")).to_have_value("minute")
    expect(page.locator("#id_frequency_cap_seconds_0")).to_have_value("7")
    expect(page.locator("#id_frequency_cap_seconds_1")).to_have_value("day")
    page.screenshot(path=shots / "2-editor.png", full_page=True)

    pick_field(builder, "country", "Country")
    builder.get_by_role("combobox", name="Value").last.select_option(label="Austria")
    page.locator("#id_wait_seconds_0").fill("2")
    page.locator("#id_wait_seconds_1").select_option(label="hours")
    page.screenshot(path=shots / "3-edited.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("after 2 hours")).to_be_visible()
    page.screenshot(path=shots / "4-saved.png", full_page=True)

    trigger = Trigger.objects.get(pk=trigger.pk)
    assert trigger.wait_seconds == 2 * 3600
    assert trigger.frequency_cap_seconds == 7 * 86_400
    assert trigger.conditions == {
        "all": [
            {"field": "profile.cart.items", "op": "gt", "value": 0},
            {"field": "context.country", "op": "eq", "value": "AT"},
        ]
    }
