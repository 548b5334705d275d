"""Fixtures shared by the experiments tests."""

import pytest

from content.models import Placement
from content.tests.factories import component, placement


@pytest.fixture
def hero() -> Placement:
    """`home-hero` with the fallback `a` and a variant `b` that no visitor matches, so
    `b` is only ever shown as an experiment arm."""
    return placement(
        "home-hero",
        [
            {"key": "a", "component": component("hero-a", heading="A"), "is_fallback": True},
            {
                "key": "b",
                "component": component("hero-b", heading="B"),
                "priority": 10,
                "context_rule": {"field": "context.device", "op": "eq", "value": "never"},
            },
        ],
    )
