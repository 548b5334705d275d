"""Fixtures shared by the experiments tests."""

import pytest

from content.models import Placement
from content.tests.factories import experiment_hero


@pytest.fixture
def hero() -> Placement:
    """`home-hero` whose variant `b` is shown only as an experiment arm."""
    return experiment_hero()
