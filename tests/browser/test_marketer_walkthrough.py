"""The marketer's main tasks walked through the Wagtail admin in Chromium, by the labels and
roles a marketer sees: build a segment, target a home-hero variant at it, preview as it,
start an A/B test and read its verdict, dry-run a trigger for a visitor picked from a list
and found by e-mail, look a customer up by customer id. Screenshots of every step go to
a folder the test prints, for people to look at."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from playwright.sync_api import expect

from content.models import PlacementVariant
from content.placement_summary import variant_line
from core import clock
from experiments.models import Experiment, Exposure
from tracking.customer_keys import customer_key
from tracking.models import Event, VisitorProfile
from tracking.services import ingest_events
from tracking.tests.factories import make_event
from triggers.models import EmailTemplate, Firing, Trigger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The preview form's controls (not the segment checkboxes, each inside its own label).
FORM_FIELDS = ".pz-preview-as select:visible, .pz-preview-as input[type=text]:visible"


def assert_no_overlap(page, selector: str) -> None:
    """No two of the matched boxes cover each other (form fields side by side or stacked)."""
    boxes = [box for box in (el.bounding_box() for el in page.locator(selector).all()) if box]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"] + 1
                or b["x"] + b["width"] <= a["x"] + 1
                or a["y"] + a["height"] <= b["y"] + 1
                or b["y"] + b["height"] <= a["y"] + 1
            )
            assert apart, (selector, a, b)


def seen_and_bought(experiment, arms: dict[str, tuple[int, int]]) -> None:
    """Visitors exposed to each arm an hour ago, the first few of whom bought since."""
    seen = clock.now() - timedelta(hours=1)
    Exposure.objects.bulk_create(
        Exposure(experiment=experiment, arm=arm, visitor_id=f"{arm}-{i}", first_exposed_at=seen)
        for arm, (count, _buyers) in arms.items()
        for i in range(count)
    )
    bought = seen + timedelta(minutes=10)
    Event.objects.bulk_create(
        Event(visitor_id=f"{arm}-{i}", type="purchase", timestamp=bought, received_at=bought)
        for arm, (_count, buyers) in arms.items()
        for i in range(buyers)
    )


def cart_reminder() -> Trigger:
    """Grace, a known customer who left a lamp in her cart, and an e-mail reminder."""
    VisitorProfile.objects.create(
        visitor_id="v-grace",
        bucketing_id="v-grace",
        customer_key=customer_key("C-2002", settings.PZ_CUSTOMER_ID_PEPPER),
        marketing_email_address="grace@example.com",
        consent_tracking=True,
        consent_personalization=True,
        consent_marketing_email=True,
        last_seen=clock.now(),
        attributes={"first_name": "Grace", "email": "grace@example.com"},
    )
    cart = {"product_id": "SKU-1", "price": 49.9}
    result = ingest_events([make_event("add_to_cart", visitor_id="v-grace", properties=cart)])
    assert result.accepted == 1, result.rejected
    template = EmailTemplate.objects.create(
        key="cart-reminder", name="Cart reminder", subject="You left something behind"
    )
    return Trigger.objects.create(
        key="cart-reminder",
        name="Cart reminder",
        enabled=True,
        entry_event="add_to_cart",
        conditions={"field": "profile.cart.items", "op": "gt", "value": 0},
        action=Trigger.Action.EMAIL,
        email_template=template,
    )


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
    page.get_by_label("Country").select_option(label="Germany")
    page.get_by_role("button", name="Preview").click()
    hero = page.get_by_role("row", name=re.compile("^Home page hero"))
    expect(hero).to_contain_text("Hero: welcome")
    expect(hero).to_contain_text("They are in the segment “German visitors”.")
    expect(page.get_by_role("link", name="Open / as German visitors")).to_be_visible()
    shot("3-preview-as")
    page.set_viewport_size({"width": 1024, "height": 900})
    shot("3-preview-as-1024")
    assert_no_overlap(page, FORM_FIELDS)
    page.set_viewport_size({"width": 1400, "height": 1000})
    assert_no_overlap(page, FORM_FIELDS)

    # 4. An A/B test on the home hero, its arms as rows: a name and the variant by what it
    # shows; no key typed. Then started from its report page.
    page.goto(f"{live_server.url}/admin/experiments/")
    page.get_by_role("link", name="Add experiment").first.click()
    page.get_by_label("Name", exact=False).first.fill("Hero for Germany")
    page.get_by_role("combobox", name=re.compile(r"^Placement")).select_option(
        label="Home page hero"
    )
    arms = page.locator("[data-experiment-arm]")
    arms.nth(1).get_by_label("Arm name").fill("German hero")
    arms.nth(1).get_by_label("Variant shown").select_option(label=variant_line(targeted))
    shot("4-experiment-new")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("No results yet")).to_be_visible()
    experiment = Experiment.objects.get(name="Hero for Germany")
    assert list(experiment.arms.values_list("key", "variant_key")) == [
        ("control", "default"),
        ("german-hero", targeted.key),
    ]
    shot("4-experiment-draft")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("is running")).to_be_visible()
    shot("4-experiment-started")

    # 5. Its verdict, once visitors have seen it: "Recompute now" reports when it finished.
    seen_and_bought(experiment, {"control": (400, 20), "german-hero": (400, 60)})
    page.get_by_role("button", name="Recompute now").or_(
        page.get_by_role("link", name="Recompute now")
    ).first.click()
    finished = (
        r"Recomputing the results of “Hero for Germany”: finished at [\d:]+ \(took [\d.]+ s\)\."
    )
    expect(page.get_by_text(re.compile(finished))).to_be_visible()
    verdict = page.locator("[data-report=sentence]")
    expect(verdict).to_contain_text("chance it is better")
    expect(page.locator("[data-report=decision]")).to_contain_text("Verdict: Keep running")
    shot("5-experiment-verdict")

    # 6. A trigger dry-run for a visitor picked from the latest visitors, then found by
    # e-mail address: no visitor id is typed.
    trigger = cart_reminder()
    page.goto(f"{live_server.url}/admin/triggers/")
    page.get_by_role("link", name="Cart reminder").first.click()
    page.get_by_role("link", name="Results and test-fire").click()
    latest = page.get_by_role("table", name="Latest visitors")
    expect(latest.get_by_role("row", name=re.compile("^Grace"))).to_be_visible()
    shot("6-trigger-pick-visitor")
    latest.get_by_role("link", name="Test-fire for Grace (grace@example.com)").click()
    result = page.get_by_role("region", name="For Grace (grace@example.com)")
    expect(result).to_contain_text("This trigger would fire now")
    expect(result).to_contain_text("It would send the e-mail")
    expect(result.get_by_role("row", name=re.compile("^Consent"))).to_contain_text("Yes")
    shot("6-trigger-dry-run")
    page.get_by_label("Customer id or e-mail address").fill("grace@example.com")
    page.get_by_role("button", name="Find and test-fire").click()
    expect(page.get_by_role("region", name="For Grace (grace@example.com)")).to_be_visible()
    assert not Firing.objects.filter(trigger=trigger).exists()

    # 7. A customer looked up by customer id: segments, placements and why, activity.
    page.goto(f"{live_server.url}/admin/customers/lookup/")
    page.get_by_label("Customer id, e-mail address or visitor id").fill("C-2002")
    page.get_by_role("button", name="Look up").click()
    customer = page.get_by_role("region", name=re.compile("^Grace"))
    expect(customer.get_by_role("heading", name="Segments")).to_be_visible()
    expect(customer.get_by_role("row", name=re.compile("^Home page hero"))).to_be_visible()
    expect(customer.get_by_role("heading", name="Recent activity")).to_be_visible()
    expect(customer.get_by_role("row", name=re.compile("Add to cart"))).to_be_visible()
    shot("7-customer-lookup")
