"""Decayed scores in log2 space: exact half-life behaviour, order independence, merges,
and the constant-threshold form used by SQL."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from tracking import decay

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_score_halves_after_one_half_life():
    stored = decay.log_weight(8.0, T0, half_life_days=14)
    assert decay.decayed_value(stored, T0, 14) == pytest.approx(8.0)
    assert decay.decayed_value(stored, T0 + timedelta(days=14), 14) == pytest.approx(4.0)
    assert decay.decayed_value(stored, T0 + timedelta(days=42), 14) == pytest.approx(1.0)


def test_sum_of_contributions_matches_the_closed_form_whatever_the_order():
    events = [(1.0, T0), (3.0, T0 + timedelta(days=3)), (5.0, T0 + timedelta(days=10))]
    now = T0 + timedelta(days=20)
    expected = sum(w * 0.5 ** ((now - at).days / 7) for w, at in events)
    forward = None
    for weight, at in events:
        forward = decay.log_add(forward, decay.log_weight(weight, at, 7))
    backward = None
    for weight, at in reversed(events):
        backward = decay.log_add(backward, decay.log_weight(weight, at, 7))
    assert decay.decayed_value(forward, now, 7) == pytest.approx(expected)
    assert decay.decayed_value(backward, now, 7) == pytest.approx(expected)


def test_nothing_overflows_centuries_after_the_epoch():
    far = datetime(2400, 1, 1, tzinfo=UTC)
    stored = decay.log_weight(1.0, far, half_life_days=0.5)
    assert math.isfinite(stored)
    assert decay.decayed_value(stored, far, 0.5) == pytest.approx(1.0)
    assert decay.decayed_value(None, far, 0.5) == 0.0
