"""The pre-filter decides a rule false from the leaves it can answer, and never false
when an unknown leaf (event window, segment) could still make it hold."""

import pytest

from triggers.matching import prefilter

ORDERS = {"field": "profile.orders", "op": "gt", "value": 0}
WINDOW = {"events": {"type": "search", "within": "30m"}, "op": "gte", "value": 1}


def known(value: bool):  # type: ignore[no-untyped-def]
    return lambda node: value if "field" in node else None


@pytest.mark.parametrize(
    ("rule", "orders", "verdict"),
    [
        ({}, False, True),
        (ORDERS, False, False),
        (ORDERS, True, True),
        (WINDOW, False, None),
        ({"all": [ORDERS, WINDOW]}, False, False),
        ({"all": [ORDERS, WINDOW]}, True, None),
        ({"any": [ORDERS, WINDOW]}, False, None),
        ({"any": [ORDERS, WINDOW]}, True, True),
        ({"not": ORDERS}, True, False),
        ({"not": WINDOW}, True, None),
        ({"any": [ORDERS, {"not": ORDERS}]}, False, True),
    ],
)
def test_three_valued_verdicts(rule, orders, verdict):
    assert prefilter(rule, known(orders)) is verdict
