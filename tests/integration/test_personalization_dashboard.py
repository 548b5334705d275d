"""The personalization dashboard on the Wagtail admin home: every panel renders figures
from the demo's simulated traffic, server-side (readable without JavaScript) and in
Chromium."""

import re

import pytest

from demo.traffic import replay_demo_traffic
from triggers.builtin import create_builtin_triggers

PANELS = ("uplift", "experiments", "placements", "segments", "triggers", "freshness")


@pytest.fixture
def traffic(demo_shop, settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.2
    settings.PZ_TRIGGER_CONTROL_SHARE = 0.3
    create_builtin_triggers(enabled=True)
    return replay_demo_traffic(days=4, visitors_per_day=50)


def panel(html: str, name: str) -> str:
    return html.split(f'data-panel="{name}"', 1)[1].split("</section>", 1)[0]


@pytest.mark.django_db
def test_the_admin_home_shows_every_panel_with_figures(traffic, admin_client):
    html = admin_client.get("/admin/").content.decode()

    for name in PANELS:
        assert f'data-panel="{name}"' in html, name
    uplift = panel(html, "uplift")
    assert re.search(r'data-figure="lift">[+-]\d', uplift)
    assert "<svg" in uplift and "<polygon" in uplift
    experiments = panel(html, "experiments")
    assert "Christmas hero" in experiments
    # The verdict in words, never the machine value.
    assert "<strong>Keep running.</strong>" in experiments and "keep_running" not in experiments
    assert re.search(r"\d+\.\d%", panel(html, "triggers"))
    last_event = panel(html, "freshness").split('data-figure="last-event">', 1)[1]
    assert not last_event.startswith("never")


@pytest.mark.django_db
def test_staff_without_the_reports_permission_see_no_panels(traffic, client, django_user_model):
    user = django_user_model.objects.create_user("eve", password="pw-eve-123456", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    html = client.get("/admin/").content.decode()
    assert 'data-panel="uplift"' not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_panels_render_numbers_in_chromium(
    browser, live_server, django_user_model, settings, tmp_path
):
    from wagtail.models import Locale, Page

    from catalog.models import Product
    from demo.content import load_demo_content
    from demo.segments import load_demo_segments

    Locale.objects.get_or_create(language_code="en")
    if Page.get_first_root_node() is None:  # flushed by an earlier transactional test
        Page.add_root(instance=Page(title="Root", slug="root"))
    Product.objects.create(product_id="SKU-1", title="Lamp", category="home/lighting", price=5)
    load_demo_segments()
    load_demo_content()
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.2
    create_builtin_triggers(enabled=True)
    replay_demo_traffic(days=3, visitors_per_day=40)
    django_user_model.objects.create_superuser(username="boss", password="pw-boss-123")
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-boss-123")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-panel=uplift]")

    lift = page.inner_text("[data-panel=uplift] [data-figure=lift]")
    visitors = page.inner_text("[data-panel=uplift] [data-figure=visitors]")
    assert re.fullmatch(r"[+-−]?\d+\.\d%", lift.strip()), lift
    assert int(visitors.replace(",", "")) > 0
    assert page.locator("[data-panel=uplift] svg polygon").count() == 1
    for name in PANELS:
        assert page.locator(f"[data-panel={name}]").is_visible(), name
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    print("screenshot:", tmp_path / "dashboard.png")  # noqa: T201 - for a human look
    page.close()
