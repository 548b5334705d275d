"""The customer lookup in Chromium, as a marketer uses it with the demo's segments and
placements: type an e-mail, read segments, placements and why, and recent activity."""

from datetime import timedelta

import pytest
from django.conf import settings
from wagtail.models import Page

from core import clock
from core.config_version import bump_config_version
from segments.models import Segment, SegmentMembership
from tracking.customer_keys import customer_key
from tracking.models import Event, VisitorProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_marketer_looks_up_a_customer(
    browser, live_server, django_user_model, demo_shop, tmp_path
):
    django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    now = clock.now()
    VisitorProfile.objects.create(
        visitor_id="v-grace",
        bucketing_id="v-grace",
        customer_key=customer_key("C-2002", settings.PZ_CUSTOMER_ID_PEPPER),
        marketing_email_address="grace@example.com",
        consent_tracking=True,
        consent_personalization=True,
        orders=14,
        revenue=6200.0,
        last_seen=now,
        attributes={"first_name": "Grace"},
    )
    Segment.objects.filter(key="high-value").update(size=4000)  # large enough to target
    bump_config_version()
    SegmentMembership.objects.create(
        segment=Segment.objects.get(key="high-value"),
        visitor_id="v-grace",
        entered_at=now - timedelta(days=40),
    )
    for minutes, kind, props in [
        (90, "page_view", {"url": "/"}),
        (80, "product_view", {"product_id": "SKU-1"}),
        (75, "add_to_cart", {"product_id": "SKU-1"}),
        (70, "purchase", {"revenue": 49.9}),
        (5, "search", {"query": "desk lamp"}),
    ]:
        at = now - timedelta(minutes=minutes)
        Event.objects.create(
            visitor_id="v-grace", type=kind, timestamp=at, received_at=at, properties=props
        )

    # The admin home needs Wagtail's root page, which a live-server test's flush removes.
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-boss-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    # The sidebar is drawn by script: wait for its menu, not any "Personalization" text.
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("button", name="Personalization").click()
    menu.get_by_role("link", name="Customer lookup").click()
    page.fill("#id_q", "grace@example.com")
    page.click("button:has-text('Look up')")
    page.wait_for_selector(".pz-customer")
    path = tmp_path / "customer-lookup.png"
    page.screenshot(path=str(path), full_page=True)

    page.locator("h3:has-text('Recommended for them')").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "customer-lookup-activity.png"))

    main = page.inner_text("main")
    assert "Engaged shoppers right now" in main
    assert "Grace" in main and "High-value customers since 30 Oct 2026" in main
    assert "They are in the segment “High-value customers”." in main
    assert "Add to cart" in main and "Brass Desk Lamp" in main
    assert "{" not in main  # no raw dicts
    assert errors == []
