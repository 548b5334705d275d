from unittest import mock

import pytest
from django.core.cache import cache

from core import cache_reads


@pytest.fixture
def read_ahead():
    def keys(visitor_id: str | None) -> list[str]:
        return ["global"] + ([f"visitor:{visitor_id}"] if visitor_id else [])

    # Only this test's keys (the apps register their own).
    with mock.patch.object(cache_reads, "_read_ahead", []):
        cache_reads.read_ahead_for(keys)
        yield


def test_a_decision_reads_registered_keys_in_its_first_round_trip(read_ahead):
    cache.set_many({"first": 1, "global": 2, "visitor:v1": 3, "other": 4})
    with mock.patch.object(cache_reads, "cache", wraps=cache) as counted:
        with cache_reads.decision_reads():
            assert cache_reads.get_many(["first"], visitor_id="v1") == {"first": 1}
            assert cache_reads.get("global") == 2
            assert cache_reads.get_many(["visitor:v1", "absent"]) == {"visitor:v1": 3}
            assert cache_reads.get("absent") is None
            assert cache_reads.get("other") == 4
    assert [c.args[0] for c in counted.get_many.call_args_list] == [
        ["first", "global", "visitor:v1"],
        ["absent"],
        ["other"],
    ]


def test_outside_a_decision_every_read_goes_to_the_cache(read_ahead):
    cache.set("global", 1)
    with mock.patch.object(cache_reads, "cache", wraps=cache) as counted:
        assert cache_reads.get("global") == 1
        cache.set("global", 2)
        assert cache_reads.get("global") == 2
    assert counted.get_many.call_count == 2


def test_a_new_decision_does_not_see_the_last_ones_reads(read_ahead):
    cache.set("global", 1)
    with cache_reads.decision_reads():
        assert cache_reads.get("global") == 1
    cache.set("global", 2)
    with cache_reads.decision_reads():
        assert cache_reads.get("global") == 2
