"""A marketer starts an A/B test on the home hero in the Wagtail admin without typing a
key: arms as rows (name, variant chosen by what it shows, share in percent), then starts
it, recomputes the results once and reads the verdict in words. Screenshots of every step
go to a folder the test prints, for people to look at."""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from content.models import PlacementVariant
from content.placement_summary import variant_line
from core import clock
from experiments.models import Experiment, Exposure
from tracking.services import ingest_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visits(experiment: Experiment, arm: str, visitors: int, buyers: int) -> None:
    """`visitors` exposed to `arm` an hour ago, the first `buyers` of them buying after."""
    seen = clock.now() - timedelta(hours=1)
    Exposure.objects.bulk_create(
        Exposure(experiment=experiment, arm=arm, visitor_id=f"{arm}-{i}", first_exposed_at=seen)
        for i in range(visitors)
    )
    bought = (seen + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ingest_events(
        [
            {
                "type": "purchase",
                "visitor_id": f"{arm}-{i}",
                "event_id": str(uuid.uuid4()),
                "timestamp": bought,
                "properties": {"order_id": f"{arm}-{i}", "revenue": 40.0},
            }
            for i in range(buyers)
        ]
    )


def test_a_marketer_starts_an_ab_test_by_rows_and_reads_its_verdict(
    marketer,
    live_server,
    tmp_path,
):
    page = marketer
    shots = tmp_path / "experiment-admin"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")  # noqa: T201 - for people to look at

    def shot(name: str) -> None:
        page.screenshot(path=shots / f"{name}.png", full_page=True)

    christmas = PlacementVariant.objects.get(placement__key="home-hero", key="christmas")

    # 1. The create form: a name, the placement, and the arms as rows.
    page.goto(f"{live_server.url}/admin/experiments/")
    page.get_by_role("link", name="Add experiment").first.click()
    page.get_by_label("Name", exact=False).first.fill("Christmas hero for everyone")
    page.get_by_role("combobox", name=re.compile(r"^Placement")).select_option(
        label="Home page hero"
    )
    arms = page.locator("[data-experiment-arm]")
    control, treatment = arms.nth(0), arms.nth(1)
    # The control row starts as what visitors see today (the placement's fallback).
    expect(control.get_by_label("Arm name")).to_have_value("Control")
    expect(control.get_by_label("Variant shown")).to_have_value("default")
    treatment.get_by_label("Arm name").fill("Christmas hero")
    treatment.get_by_label("Variant shown").select_option(label=variant_line(christmas))
    control.get_by_label("Share of visitors (%)").fill("40")
    treatment.get_by_label("Share of visitors (%)").fill("50")
    expect(page.get_by_text("The shares add up to 90%: make them 100%.")).to_be_visible()
    # A third arm can be added and removed again; the rows renumber themselves.
    page.get_by_role("button", name="Add arm").click()
    expect(arms).to_have_count(3)
    arms.nth(2).get_by_role("button", name="Remove").click()
    expect(arms).to_have_count(2)
    page.get_by_label("Traffic (%)").fill("80")
    shot("1-create")
    # No key typed: the experiment's and the arms' keys followed their names.
    expect(page.locator("#id_key")).to_have_value("christmas-hero-for-everyone")
    expect(treatment.get_by_label("Key")).to_have_value("christmas-hero")
    page.get_by_role("button", name="Create").click()
    # Refused with the reason; every row keeps what was entered, the variant included.
    expect(page.get_by_text("The shares add up to 90%; make them add up to 100%.")).to_be_visible()
    expect(treatment.get_by_label("Variant shown")).to_have_value("christmas")
    expect(treatment.get_by_label("Arm name")).to_have_value("Christmas hero")
    treatment.get_by_label("Share of visitors (%)").fill("60")
    expect(page.get_by_text("The shares add up to 100%.")).to_be_visible()
    page.get_by_role("button", name="Create").click()

    # 2. The draft's page, started.
    expect(page.get_by_text("No results yet")).to_be_visible()
    experiment = Experiment.objects.get(name="Christmas hero for everyone")
    assert experiment.traffic == 0.8
    arms_saved = list(experiment.arms.values_list("key", "variant_key", "weight", "is_control"))
    assert arms_saved == [
        ("control", "default", 40, True),
        ("christmas-hero", "christmas", 60, False),
    ]
    shot("2-draft")
    page.get_by_role("link", name="Edit").first.click()
    expect(page.get_by_label("Share of Christmas hero (%)")).to_have_value("60")
    expect(page.get_by_label("Traffic (%)")).to_have_value("80")
    shot("2-edit")
    page.go_back()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("is running")).to_be_visible()
    shot("2-started")

    # 3. Visitors came; one click on "Recompute now" shows the verdict in words.
    visits(experiment, "control", 400, 12)
    visits(experiment, "christmas-hero", 600, 30)
    page.get_by_role("button", name="Recompute now").first.click()
    verdict = page.locator("[data-report='decision']")
    expect(verdict).to_contain_text("Keep running")
    expect(verdict).not_to_contain_text("keep_running")
    expect(page.locator("[data-report='sentence']")).to_contain_text(
        re.compile(r"Christmas hero is ahead: \+\d+% purchases")
    )
    expect(
        page.get_by_text(re.compile(r"Recomputing the results.*finished.*Keep running"))
    ).to_be_visible()
    shot("3-verdict")

    # 4. The list explains the decision in words too.
    page.goto(f"{live_server.url}/admin/experiments/")
    row = page.get_by_role("row", name=re.compile("Christmas hero for everyone"))
    expect(row).to_contain_text("Keep running")
    expect(row).to_contain_text("80%")
    expect(page.locator("body")).not_to_contain_text("keep_running")
    shot("4-list")
