"""Real-time segmentation of the demo's engagement segments: visitors move between them as
they act, materialized memberships follow, and a request stays within its query budget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.segments import load_demo_segments
from segments.models import SegmentMembership
from segments.selectors import visitor_context
from segments.services import forget_recent_events, refresh_visitor_memberships
from segments.tests.test_real_time_segments import T0, act, engagement, materialized
from tracking.services import set_consent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_moves_between_browsers_engaged_and_abandoners():
    load_demo_segments()
    act("v1", "product_view", T0)
    assert engagement("v1", T0 + timedelta(minutes=1)) == {"browsers"}

    act("v1", "product_view", T0 + timedelta(minutes=2))
    act("v1", "product_view", T0 + timedelta(minutes=3))
    assert engagement("v1", T0 + timedelta(minutes=4)) == {"browsers", "engaged-shoppers"}

    act("v1", "add_to_cart", T0 + timedelta(minutes=5))
    assert engagement("v1", T0 + timedelta(minutes=6)) == {"engaged-shoppers"}
    refresh_visitor_memberships(visitor_ids=["v1"], now=T0 + timedelta(minutes=6))
    assert materialized("v1") >= {"engaged-shoppers"}

    later = T0 + timedelta(minutes=40)
    assert engagement("v1", later) == {"cart-abandoners"}
    refresh_visitor_memberships(visitor_ids=["v1"], now=later)
    assert {"cart-abandoners"} <= materialized("v1")
    assert "engaged-shoppers" not in materialized("v1")

    act("v1", "purchase", T0 + timedelta(minutes=45))
    # bought: no longer abandoning, still engaged (a cart this week)
    assert engagement("v1", T0 + timedelta(minutes=46)) == {"engaged-shoppers"}
    refresh_visitor_memberships(visitor_ids=["v1"], now=T0 + timedelta(minutes=46))
    assert "cart-abandoners" not in materialized("v1")
    periods = SegmentMembership.objects.filter(visitor_id="v1", segment__key="engaged-shoppers")
    assert periods.filter(left_at__isnull=False).exists()  # history keeps the left period


def test_a_request_reads_the_cache_once_and_queries_at_most_once():
    load_demo_segments()
    act("v1", "add_to_cart", T0)
    now = T0 + timedelta(minutes=1)
    visitor_context("v1", {}, now=now)  # warm the catalog of this process
    forget_recent_events(["v1"])
    with CaptureQueriesContext(connection) as cold:
        visitor_context("v1", {"device": "mobile"}, now=now)
    with CaptureQueriesContext(connection) as warm:
        keys = visitor_context("v1", {"device": "mobile"}, now=now).segments
    assert len(cold) == 1, [q["sql"] for q in cold]
    assert len(warm) == 0
    assert "mobile-visitors" in keys and "engaged-shoppers" in keys


def test_without_personalization_consent_only_the_context_counts():
    load_demo_segments()
    act("v1", "add_to_cart", T0)
    set_consent(visitor_id="v1", personalization=False)
    result = visitor_context("v1", {"device": "mobile"}, now=T0 + timedelta(minutes=1))
    assert result.segments == ("mobile-visitors",)
    assert result.personalized is False
