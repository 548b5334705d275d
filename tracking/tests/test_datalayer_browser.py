"""pz.js reads a shop's GA4 e-commerce pushes from Google Tag Manager's dataLayer when the
script tag enables it: view_item, add_to_cart and purchase arrive as pz events
(Chromium against the live server)."""

import time

import pytest

from tracking.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><html><head><title>shop</title></head><body>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag() { dataLayer.push(arguments); }
  dataLayer.push({event: "view_item", ecommerce: {currency: "EUR", value: 49.9, items: [
    {item_id: "SKU-1", item_name: "Lamp", item_category: "home", item_category2: "lighting",
     price: 49.9}]}});
</script>
<script src="/static/pz/pz.js" data-datalayer="true" data-auto="none"></script>
</body></html>"""


def _wait_for(query, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if query():
            return True
        time.sleep(0.2)
    return False


def test_ga4_pushes_arrive_as_pz_events(live_server, browser):
    page = browser.new_page()
    url = f"{live_server.url}/datalayer-shop/"
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE))
    page.goto(url)
    page.evaluate(
        """() => {
        dataLayer.push({ecommerce: null});
        dataLayer.push({event: "add_to_cart", ecommerce: {items: [
          {item_id: "SKU-1", price: 49.9, quantity: 2, item_category: "home"}]}});
        gtag("event", "purchase", {transaction_id: "T-1", value: 99.8, currency: "EUR",
          items: [{item_id: "SKU-1", price: 49.9, quantity: 2}]});
        dataLayer.push({event: "gtm.click"});
        pz.flush();
    }"""
    )
    assert _wait_for(lambda: Event.objects.filter(type="purchase").exists())
    events = {event.type: event for event in Event.objects.all()}
    assert set(events) == {"product_view", "add_to_cart", "purchase"}
    assert events["product_view"].properties == {
        "product_id": "SKU-1",
        "category": "home/lighting",
        "price": 49.9,
    }
    assert events["add_to_cart"].properties["quantity"] == 2
    purchase = events["purchase"].properties
    assert (purchase["order_id"], purchase["revenue"], purchase["currency"]) == ("T-1", 99.8, "EUR")
    assert purchase["items"] == [{"product_id": "SKU-1", "price": 49.9, "quantity": 2}]
    assert len({event.visitor_id for event in events.values()}) == 1


def test_without_the_flag_the_data_layer_is_left_alone(live_server, browser):
    page = browser.new_page()
    url = f"{live_server.url}/plain-shop/"
    body = PAGE.replace('data-datalayer="true" ', "")
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    page.goto(url)
    page.evaluate("() => { pz.track('page_view', {}); pz.flush(); }")
    assert _wait_for(lambda: Event.objects.filter(type="page_view").exists())
    assert not Event.objects.exclude(type="page_view").exists()
