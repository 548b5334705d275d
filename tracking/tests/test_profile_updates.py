"""Profiles are updated incrementally as events arrive, and equal a rebuild from events."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracking.models import VisitorProfile
from tracking.profile_state import ProfileSettings, ProfileState, apply_event, flags
from tracking.selectors import get_profile_entry, state_from_model
from tracking.services import rebuild_profile
from tracking.tests.factories import make_event, minutes_ago

pytestmark = pytest.mark.django_db
CFG = ProfileSettings()
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def ingest(client, *events):
    response = client.post(
        "/api/v1/events", data=json.dumps({"events": list(events)}), content_type="application/json"
    )
    assert response.status_code == 202
    return response.json()


def test_counters_cart_orders_context_and_sessions(server_api_client):
    ingest(
        server_api_client,
        make_event(
            "product_view",
            session_id="s1",
            timestamp=minutes_ago(50),
            context={"device": "mobile", "country": "DE", "utm_source": "newsletter"},
        ),
        make_event("add_to_cart", session_id="s1", timestamp=minutes_ago(49)),
        make_event(
            "add_to_cart",
            session_id="s1",
            timestamp=minutes_ago(48),
            properties={"product_id": "SKU-2", "price": 5.5, "quantity": 2},
        ),
        make_event("remove_from_cart", session_id="s1", timestamp=minutes_ago(47)),
        make_event("checkout_start", session_id="s2", timestamp=minutes_ago(5)),
    )
    profile = VisitorProfile.objects.get(visitor_id="v1")
    assert profile.counters == {
        "product_view": 1,
        "add_to_cart": 2,
        "remove_from_cart": 1,
        "checkout_start": 1,
    }
    assert profile.sessions == 2
    assert profile.cart == {"SKU-2": {"quantity": 2, "price": 5.5, "category": None}}
    assert (profile.cart_items, profile.cart_value) == (2, 11.0)
    assert profile.last_context == {"device": "mobile", "country": "DE", "utm_source": "newsletter"}

    ingest(
        server_api_client,
        make_event(
            "purchase", timestamp=minutes_ago(1), properties={"order_id": "o9", "revenue": 11.0}
        ),
    )
    profile.refresh_from_db()
    assert profile.cart == {} and profile.orders == 1 and profile.revenue == 11.0


def test_cart_abandoned_after_the_setting_minutes_without_purchase():
    state = ProfileState(visitor_id="v")
    apply_event(state, "add_to_cart", T0, {"product_id": "A", "price": 10}, {}, CFG)
    assert flags(state, T0 + timedelta(minutes=29), CFG)["cart_abandoned"] is False
    assert flags(state, T0 + timedelta(minutes=31), CFG)["cart_abandoned"] is True
    apply_event(
        state, "purchase", T0 + timedelta(minutes=40), {"order_id": "1", "revenue": 10}, {}, CFG
    )
    assert flags(state, T0 + timedelta(hours=5), CFG)["cart_abandoned"] is False


def test_high_intent_after_checkout_start_with_a_cart():
    state = ProfileState(visitor_id="v")
    apply_event(state, "add_to_cart", T0, {"product_id": "A"}, {}, CFG)
    assert flags(state, T0, CFG)["high_intent"] is False
    apply_event(state, "checkout_start", T0 + timedelta(minutes=1), {}, {}, CFG)
    assert flags(state, T0 + timedelta(minutes=2), CFG)["high_intent"] is True


def test_interest_is_credited_to_each_category_level_and_decays():
    state = ProfileState(visitor_id="v")
    apply_event(
        state, "product_view", T0, {"product_id": "A", "category": "Outdoor/Tents"}, {}, CFG
    )
    from tracking.profile_state import profile_document

    now_doc = profile_document(state, T0, CFG)
    later_doc = profile_document(state, T0 + timedelta(days=14), CFG)
    assert now_doc["interest"] == {"outdoor": 1.0, "outdoor/tents": 1.0}
    assert later_doc["interest"]["outdoor"] == pytest.approx(0.5)


def test_incremental_profile_equals_a_rebuild_from_events(server_api_client):
    ingest(
        server_api_client,
        make_event("product_view", timestamp=minutes_ago(300)),
        make_event("search", timestamp=minutes_ago(200)),
        make_event("add_to_cart", timestamp=minutes_ago(100)),
        make_event("purchase", timestamp=minutes_ago(90)),
    )
    ingest(
        server_api_client, make_event("product_view", timestamp=minutes_ago(400))
    )  # out of order
    before = state_from_model(VisitorProfile.objects.get(visitor_id="v1"))
    after = state_from_model(rebuild_profile(visitor_id="v1"))
    assert after.counters == before.counters
    assert after.interest == pytest.approx(before.interest)
    assert after.engagement_log2 == pytest.approx(before.engagement_log2)
    assert (after.orders, after.revenue, after.first_seen) == (
        before.orders,
        before.revenue,
        before.first_seen,
    )


def test_a_request_time_profile_read_is_one_cache_hit_and_no_query(
    server_api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(server_api_client, make_event())
    with CaptureQueriesContext(connection) as queries:
        entry = get_profile_entry("v1")
    assert entry.state.counters == {"product_view": 1}
    assert len(queries) == 0


def test_a_cache_miss_loads_from_the_database_once(server_api_client):
    ingest(server_api_client, make_event())
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as first:
        get_profile_entry("v1")
    with CaptureQueriesContext(connection) as second:
        get_profile_entry("v1")
    assert len(first) == 1 and len(second) == 0  # alias and profile in one query


def test_ingest_writes_in_bulk_not_per_event(server_api_client):
    events = [make_event(visitor_id=f"v{i % 10}") for i in range(300)]
    with CaptureQueriesContext(connection) as queries:
        ingest(server_api_client, *events)
    assert len(queries) < 15
