"""Segment's own Python library, unchanged, pointed at a live pz: its batches arrive as pz
events (the write key is a pz server key, sent as the HTTP Basic user name)."""

import pytest
from segment.analytics import Client
from segment.analytics import request as segment_request
from segment.analytics.request import APIError

from tracking.models import Event, VisitorProfile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _close_connections():
    # The library keeps one HTTP session for the process: close its keep-alive
    # connection before the live server stops.
    yield
    segment_request._session.close()


def test_segment_analytics_python_posts_to_pz(live_server, server_key):
    errors = []
    client = Client(
        write_key=server_key,
        host=f"{live_server.url}/api/v1/integrations/segment",
        sync_mode=True,  # send in this thread, at once
        on_error=lambda error, batch: errors.append(error),
        max_retries=0,
    )
    client.page(anonymous_id="anon-1", name="Home", properties={"url": "/"})
    client.track(
        anonymous_id="anon-1",
        event="Product Viewed",
        properties={"product_id": "SKU-1", "price": 49.9, "category": "home/lighting"},
    )
    client.track(
        anonymous_id="anon-1",
        event="Order Completed",
        properties={"order_id": "O-1", "revenue": 49.9,
                    "products": [{"product_id": "SKU-1", "price": 49.9, "quantity": 1}]},
    )  # fmt: skip
    client.identify(user_id="C-1", anonymous_id="anon-1", traits={"email": "ada@example.com"})
    client.flush()

    assert errors == []
    types = sorted(Event.objects.values_list("type", flat=True))
    assert types == ["login", "page_view", "product_view", "purchase"]
    profile = VisitorProfile.objects.get(visitor_id="anon-1")
    assert profile.orders == 1 and profile.customer_key is not None
    assert profile.attributes["email"] == "ada@example.com"


def test_a_wrong_write_key_is_refused(live_server, db):
    client = Client(
        write_key="pz_sk_" + "x" * 40,
        host=f"{live_server.url}/api/v1/integrations/segment",
        sync_mode=True,
        max_retries=0,
    )
    with pytest.raises(APIError) as refused:
        client.track(anonymous_id="anon-1", event="Product Viewed", properties={"product_id": "A"})
    assert refused.value.status == 401
    assert not Event.objects.exists()
