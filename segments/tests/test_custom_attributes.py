"""Defined customer attributes are typed in rules: the SQL and the real-time evaluator
agree on numbers, booleans, dates and closed choices, as stored by `PUT /customers`."""

import pytest

from segments.models import SegmentMembership
from segments.selectors import visitor_context
from segments.services import recompute_segment, segment_save
from tracking.definitions import attribute_define
from tracking.models import VisitorProfile
from tracking.services import upsert_customers

pytestmark = pytest.mark.django_db
CUSTOMERS = [
    {"customer_id": "a", "attributes": {"points": 150, "vip": True, "joined": "2024-01-10"}},
    {"customer_id": "b", "attributes": {"points": 99.5, "vip": False, "joined": "2025-06-01"}},
    {"customer_id": "c", "attributes": {"points": 2, "loyalty_tier": "gold"}},
    {"customer_id": "d", "attributes": {}},
]


@pytest.fixture
def customers():
    attribute_define(key="points", type="number")
    attribute_define(key="vip", type="boolean")
    attribute_define(key="joined", type="date")
    attribute_define(key="loyalty_tier", type="string", choices=["gold", "silver"])
    report = upsert_customers(CUSTOMERS)
    assert report.created == 4 and not report.rejected
    return {
        profile.attributes.get("points", "none"): profile.visitor_id
        for profile in VisitorProfile.objects.all()
    }


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "attributes.points", "op": "gt", "value": 100}, {150}),
        ({"field": "attributes.points", "op": "lt", "value": 100}, {99.5, 2}),
        ({"field": "attributes.vip", "op": "eq", "value": True}, {150}),
        ({"field": "attributes.vip", "op": "ne", "value": True}, {99.5}),  # missing: no
        ({"field": "attributes.loyalty_tier", "op": "eq", "value": "gold"}, {2}),
        ({"field": "attributes.points", "op": "exists", "value": True}, {150, 99.5, 2}),
    ],
)
def test_both_evaluators_read_typed_attributes_alike(customers, rule, expected):
    segment = segment_save(key="typed", name="Typed", rule=rule)
    recompute_segment(segment_id=segment.pk)
    by_sql = set(
        SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )
    real_time = {vid for vid in customers.values() if "typed" in visitor_context(vid, {}).segments}
    assert by_sql == real_time == {customers[points] for points in expected}


def test_a_date_attribute_is_compared_at_request_time(customers):
    # Dates inside JSON are compared by the real-time evaluator only (segments.sql says
    # so with NotMaterializable): the segment is marked real-time, never half-computed.
    rule = {"field": "attributes.joined", "op": "lt", "value": "2025-01-01"}
    segment = segment_save(key="early", name="Early", rule=rule)
    assert segment.real_time_only
    matched = {vid for vid in customers.values() if "early" in visitor_context(vid, {}).segments}
    assert matched == {customers[150]}


def test_a_typed_rule_refuses_a_value_of_another_type(customers):
    from segments.services import SegmentError

    with pytest.raises(SegmentError) as refused:
        segment_save(
            key="bad", name="Bad", rule={"field": "attributes.points", "op": "gt", "value": "x"}
        )
    assert "rule" in refused.value.fields
