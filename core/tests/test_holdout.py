"""The global holdout: a stable share of bucketing ids, none without personalization."""

import pytest

from core.bucketing import BUCKETS, bucket, in_share
from core.holdout import Group, holdout_group, in_global_holdout

IDS = [f"visitor-{i}" for i in range(50_000)]


def test_bucket_is_stable_and_in_range():
    assert bucket("a", "b") == bucket("a", "b")
    assert all(0 <= bucket("holdout", v) < BUCKETS for v in IDS[:1000])


def test_share_of_ids_held_out(settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.05
    held = sum(in_global_holdout(v) for v in IDS)
    assert held / len(IDS) == pytest.approx(0.05, abs=0.004)


def test_no_holdout_at_share_zero(settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.0
    assert not any(in_global_holdout(v) for v in IDS[:2000])
    assert not in_share(0.0, "x")


def test_seed_reshuffles(settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.5
    first = [in_global_holdout(v) for v in IDS[:2000]]
    settings.PZ_GLOBAL_HOLDOUT_SEED = "another"
    assert first != [in_global_holdout(v) for v in IDS[:2000]]


def test_group_needs_personalization_consent(settings):
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 1.0
    assert holdout_group("v1", personalization=True) is Group.HOLDOUT
    assert holdout_group("v1", personalization=False) is None
    assert holdout_group(None, personalization=True) is None
    settings.PZ_GLOBAL_HOLDOUT_SHARE = 0.0
    assert holdout_group("v1", personalization=True) is Group.PERSONALIZED
