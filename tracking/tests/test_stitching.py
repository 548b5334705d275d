"""login stitches the anonymous visitor to the known customer without double counting."""

import json

import pytest

from tracking.models import Event, VisitorAlias, VisitorProfile
from tracking.selectors import get_profile_entry
from tracking.services import known_profile
from tracking.tests.factories import make_event, minutes_ago

pytestmark = pytest.mark.django_db


def ingest(client, *events):
    response = client.post(
        "/api/v1/events", data=json.dumps({"events": list(events)}), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    return response.json()


def test_first_login_makes_the_anonymous_visitor_known(server_api_client):
    ingest(server_api_client, make_event(visitor_id="anon"), make_event("login", visitor_id="anon"))
    profile = VisitorProfile.objects.get(visitor_id="anon")
    assert profile.customer_key is not None
    assert "12347" not in profile.customer_key  # stored only as a keyed hash
    assert known_profile("12347").pk == profile.pk


def test_login_merges_into_the_existing_customer_profile_without_double_counting(server_api_client):
    known = known_profile("12347")
    ingest(
        server_api_client,
        make_event("purchase", visitor_id=known.visitor_id, timestamp=minutes_ago(60 * 24 * 3)),
    )
    ingest(
        server_api_client,
        make_event("product_view", visitor_id="anon", timestamp=minutes_ago(10)),
        make_event("add_to_cart", visitor_id="anon", timestamp=minutes_ago(9)),
        make_event("login", visitor_id="anon", timestamp=minutes_ago(8)),
        make_event("product_view", visitor_id="anon", timestamp=minutes_ago(7)),
    )
    assert not VisitorProfile.objects.filter(visitor_id="anon").exists()
    merged = VisitorProfile.objects.get(pk=known.pk)
    assert merged.events_count == 5
    assert merged.counters == {"purchase": 1, "product_view": 2, "add_to_cart": 1, "login": 1}
    assert merged.orders == 1 and merged.revenue == 199.0
    assert merged.cart_items == 1
    assert Event.objects.filter(visitor_id=known.visitor_id).count() == 5
    assert VisitorAlias.objects.get(alias_id="anon").visitor_id == known.visitor_id

    # later events sent under the anonymous id land on the known profile
    ingest(server_api_client, make_event("search", visitor_id="anon"))
    merged.refresh_from_db()
    assert merged.counters["search"] == 1
    assert get_profile_entry("anon").state.visitor_id == known.visitor_id


def test_logging_in_twice_does_not_merge_twice(server_api_client):
    known = known_profile("12347")
    ingest(server_api_client, make_event(visitor_id=known.visitor_id))
    ingest(server_api_client, make_event("login", visitor_id="anon"))
    ingest(server_api_client, make_event("login", visitor_id="anon"))
    merged = VisitorProfile.objects.get(pk=known.pk)
    assert merged.counters == {"product_view": 1, "login": 2}
    assert merged.events_count == 3


def test_stitching_keeps_the_known_bucketing_id(server_api_client):
    known = known_profile("12347")
    ingest(server_api_client, make_event(visitor_id=known.visitor_id))
    ingest(server_api_client, make_event("login", visitor_id="anon"))
    assert VisitorProfile.objects.get(pk=known.pk).bucketing_id == known.bucketing_id


def test_an_uncached_profile_is_loaded_in_one_query_through_its_alias(
    server_api_client, django_assert_num_queries
):
    from django.core.cache import cache

    known = known_profile("12347")
    ingest(server_api_client, make_event(visitor_id="anon"), make_event("login", visitor_id="anon"))
    ingest(server_api_client, make_event(visitor_id="other"))
    cache.clear()
    with django_assert_num_queries(1):
        assert get_profile_entry("anon").state.visitor_id == known.visitor_id
    with django_assert_num_queries(1):
        assert get_profile_entry("other").state.visitor_id == "other"
    with django_assert_num_queries(1):
        assert get_profile_entry("never-seen") is None
    with django_assert_num_queries(0):  # all three are cached now
        for visitor_id in ("anon", "other", "never-seen"):
            get_profile_entry(visitor_id)
