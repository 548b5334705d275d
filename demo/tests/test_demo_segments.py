"""The demo's order-line segments on the real Online Retail data: "bought lighting in the
last 90 days" holds exactly the visitors with a lighting line in a recent order, in the
preview, the materialized members and the decision."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.segments import DEMO_SEGMENTS
from personalization.services import decide
from segments.models import Segment, SegmentMembership
from segments.selectors import visitor_context
from segments.services import preview_count, recompute_segment
from tracking.models import Event, VisitorProfile

pytestmark = pytest.mark.django_db
LIMIT = 300  # invoices of the committed file: enough for lighting buyers and others


def lighting_lines(since) -> dict[str, float]:
    """Visitor -> price x quantity of their home/lighting lines since `since`, read from
    the stored events in Python (the check the rule must agree with)."""
    spent: dict[str, float] = {}
    orders = Event.objects.filter(type="purchase", timestamp__gte=since)
    for visitor_id, properties in orders.values_list("visitor_id", "properties"):
        for line in properties.get("items") or []:
            if line.get("category") == "home/lighting":
                amount = line["price"] * line.get("quantity", 1)
                spent[visitor_id] = spent.get(visitor_id, 0.0) + amount
    return spent


def members(key: str) -> set[str]:
    rows = SegmentMembership.objects.filter(segment__key=key, left_at__isnull=True)
    return set(rows.values_list("visitor_id", flat=True))


def test_lighting_segments_match_the_lighting_purchasers(settings):
    settings.PZ_MIN_SEGMENT_SIZE = 1
    call_command("load_demo", "--limit-invoices", str(LIMIT), stdout=io.StringIO())
    now = timezone.now()
    spent = lighting_lines(now - timedelta(days=90))
    buyers = set(spent)
    big_spenders = {visitor for visitor, amount in spent.items() if amount >= 100}
    assert 0 < len(big_spenders) < len(buyers) < VisitorProfile.objects.count()

    specs = {spec["key"]: spec for spec in DEMO_SEGMENTS}
    assert preview_count(rule=specs["lighting-buyers"]["rule"]) == len(buyers)
    for key, expected in (("lighting-buyers", buyers), ("lighting-big-spenders", big_spenders)):
        segment = Segment.objects.get(key=key)
        assert recompute_segment(segment_id=segment.pk, now=now).size == len(expected)
        assert members(key) == expected

    buyer = sorted(buyers)[0]
    other = sorted(set(VisitorProfile.objects.values_list("visitor_id", flat=True)) - buyers)[0]
    assert "lighting-buyers" in visitor_context(buyer, {}, now=now).segments
    assert "lighting-buyers" not in visitor_context(other, {}, now=now).segments
    decision = decide(visitor_id=buyer, placement_keys=[], context={}, now=now)
    assert "lighting-buyers" in decision.segments
