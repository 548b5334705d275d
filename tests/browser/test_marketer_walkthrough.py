"""The marketer's main tasks walked through the Wagtail admin in Chromium, by the labels and
roles a marketer sees: build a segment, target a home-hero variant at it, preview as it,
start an A/B test and read its verdict, dry-run a trigger. Screenshots of every step go to
a folder the test prints, for people to look at."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from content.models import PlacementVariant
from experiments.services import experiment_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def marketer(browser, live_server, django_user_model, demo_shop, settings):
    settings.PZ_MIN_SEGMENT_SIZE = 0
    django_user_model.objects.create_superuser(username="mia", password="pw-mia-123")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(8000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill("pw-mia-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    assert errors == []
    page.close()


def test_a_marketer_walks_the_main_tasks(marketer, live_server, tmp_path):
    page = marketer
    shots = tmp_path / "walkthrough"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")  # noqa: T201 - for people to look at

    def shot(name: str) -> None:
        page.screenshot(path=shots / f"{name}.png", full_page=True)

    # 1. A segment built by labels.
    page.goto(f"{live_server.url}/admin/segments/new/")
    page.get_by_label("Name").first.fill("German visitors")
    shot("1-segment-new")
    page.get_by_label("Name").first.press("Tab")  # the key fills itself from the name
    page.get_by_role("button", name="+ Condition").click()
    page.get_by_role("button", name="Field").click()
    page.get_by_label("Search fields").fill("country")
    page.get_by_role("option", name=re.compile(r"^Country")).click()
    page.get_by_role("combobox", name="Value").select_option(label="Germany")
    shot("1-segment-rule")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text('Country = "Germany"')).to_be_visible()
    shot("1-segment-saved")

    # 2. A home-hero variant targeted at the segment.
    page.goto(f"{live_server.url}/admin/snippets/content/placement/")
    page.get_by_role("link", name="Home page hero").click()
    shot("2-placement")
    page.get_by_role("button", name="Add variant").click()
    shot("2-variant-added")
    page.get_by_role("button", name="Choose component").last.click()
    chooser = page.get_by_role("dialog")
    shot("2-component-chooser")
    chooser.get_by_role("link", name="Hero: welcome").first.click()
    expect(chooser).to_be_hidden()
    new_variant = page.locator("[id^='inline_child_variants-']:visible").last
    new_variant.get_by_label("German visitors").first.check()
    shot("2-variant-filled")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("This field is required")).to_have_count(0)
    expect(page.get_by_text("Home page hero").first).to_be_visible()
    shot("2-published")
    targeted = PlacementVariant.objects.get(
        placement__key="home-hero", segments_any__name="German visitors"
    )
    assert targeted.component.name == "Hero: welcome"

    # 3. Preview as the segment: the home hero shows the new variant.
    page.goto(f"{live_server.url}/admin/content/preview-as/")
    page.get_by_label("German visitors").check()
    page.get_by_role("button", name="Preview").click()
    hero = page.get_by_role("row", name=re.compile("home-hero"))
    expect(hero).to_contain_text(targeted.key)
    shot("3-preview-as")

    # 4. An A/B test started from its report page, and its verdict read there. Creating it
    # still takes arms as "key variant weight" lines (variant keys), so the test creates
    # the draft and the marketer starts it.
    fallback = PlacementVariant.objects.get(placement__key="home-hero", is_fallback=True)
    experiment = experiment_create(
        key="hero-for-germany",
        name="Hero for Germany",
        placement_key="home-hero",
        arms=[{"key": "control", "variant": fallback.key}, {"key": "b", "variant": targeted.key}],
    )
    page.goto(live_server.url + reverse("experiments:inspect", args=[experiment.pk]))
    shot("4-experiment-draft")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Running").first).to_be_visible()
    shot("4-experiment-started")
