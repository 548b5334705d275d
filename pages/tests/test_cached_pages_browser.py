"""Cached-page mode in Chromium: two visitors get the same cached HTML, pz.js fills the
personalized block differently for each with one decide, nothing shifts (CLS <= 0.01),
and impressions are recorded only for what each one was shown."""

import time

import pytest
from django.db import OperationalError

from pages.block_catalog import block_key
from pages.tests.factories import home_page, personalized
from tracking.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
# Sums every layout shift of the page (as Core Web Vitals' CLS does, without windows).
CLS_OBSERVER = """
window.__cls = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
}).observe({type: "layout-shift", buffered: true});
"""


def _wait_for(query, *, timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if query():
                return True
        except OperationalError:
            pass  # SQLite's shared in-memory test database: the live server is writing
        time.sleep(0.2)
    return False


def test_same_cached_html_two_visitors_two_blocks_no_layout_shift(browser, live_server, settings):
    settings.PZ_ANTI_FLICKER_MS = 2000  # a loaded CI machine; the default is 300
    hero = personalized(
        "Hero",
        "Welcome to the shop",
        [("mobile", {"device": "mobile"}, "Shopping on the go?")],
        min_height=300,
    )
    page = home_page([hero, {"type": "heading", "value": "Below the fold"}], cached_mode=True)
    key = block_key(page.pk, page.body[0].id)
    slot = f'[data-pz-slot="{key}"]'

    desktop = browser.new_context(user_agent=DESKTOP_UA, viewport={"width": 1280, "height": 800})
    mobile = browser.new_context(
        user_agent=MOBILE_UA, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    html = [ctx.request.get(f"{live_server.url}/").text() for ctx in (desktop, mobile)]
    assert html[0] == html[1]  # what a shared cache would hand both
    assert "Welcome to the shop" in html[0] and "Shopping on the go?" not in html[0]

    shown = {}
    for name, ctx in (("desktop", desktop), ("mobile", mobile)):
        ctx.add_init_script(CLS_OBSERVER)
        tab = ctx.new_page()
        decides = []
        tab.on("request", lambda r, d=decides: d.append(r) if "/api/v1/decide" in r.url else None)
        tab.goto(f"{live_server.url}/")
        tab.wait_for_selector(f"{slot}:not([data-pz-pending])", state="attached", timeout=8000)
        tab.wait_for_timeout(500)
        shown[name] = tab.inner_text(f"{slot} h1")
        assert len(decides) == 1
        assert tab.evaluate("window.__cls") <= 0.01, name
        tab.close()  # pagehide flushes the impressions
    assert shown == {"desktop": "Welcome to the shop", "mobile": "Shopping on the go?"}

    def impressions():
        return Event.objects.filter(type="impression", properties__placement=key)

    assert _wait_for(lambda: impressions().count() >= 2)
    by_visitor = {}
    for event in impressions():
        by_visitor.setdefault(event.visitor_id, set()).add(event.properties["variant"])
    assert sorted(by_visitor.values(), key=sorted) == [{"default"}, {"mobile"}]
    desktop.close()
    mobile.close()
