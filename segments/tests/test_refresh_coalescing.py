"""With Redis and a worker, the membership refresh after ingest is coalesced across
requests: many ingests queue one task, which refreshes every pending visitor, and a
chunk whose worker failed or died is refreshed by a later run (real Redis, DB 13)."""

import os

import pytest
import time_machine
from redis import exceptions as redis_exceptions

from core import clock
from segments import refresh_queue
from segments import tasks as segment_tasks
from segments.models import SegmentMembership
from segments.services import schedule_membership_refresh, segment_save
from tracking.models import VisitorProfile

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("PZ_TEST_COALESCE_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis(settings, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"pz-coalesce-{os.getpid()}",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    app = segment_tasks.refresh_visitor_memberships_task.app
    app.conf.task_always_eager = False
    queued: list[dict] = []
    monkeypatch.setattr(
        segment_tasks.refresh_visitor_memberships_task,
        "apply_async",
        lambda args=None, **kwargs: queued.append({"args": args, **kwargs}),
    )
    try:
        client = refresh_queue.redis_client()
        assert client is not None
        try:
            client.ping()
        except redis_exceptions.ConnectionError as exc:  # noqa: BLE001 - no Redis here: nothing to test against
            pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
        _clear(client)
        yield client, queued
        _clear(client)
    finally:
        app.conf.task_always_eager = True


def _clear(client) -> None:
    from django.core.cache import cache

    keys = client.keys(cache.make_key("{segment-refresh}*"))
    if keys:
        client.delete(*keys)


def _buyers(count: int) -> list[str]:
    segment_save(
        key="buyers", name="Buyers", rule={"field": "profile.orders", "op": "gt", "value": 0}
    )
    ids = [f"v-{n}" for n in range(count)]
    VisitorProfile.objects.bulk_create(
        VisitorProfile(visitor_id=vid, bucketing_id=vid, orders=1) for vid in ids
    )
    return ids


def _members() -> set[str]:
    return set(
        SegmentMembership.objects.filter(segment__key="buyers", left_at__isnull=True).values_list(
            "visitor_id", flat=True
        )
    )


def test_many_ingests_queue_one_task_that_refreshes_every_visitor(redis):
    client, queued = redis
    ids = _buyers(450)

    # 90 requests of 5 visitors each, some visitors in several requests.
    for start in range(0, 450, 5):
        schedule_membership_refresh(ids[start : start + 5] + ids[:2], debounce_seconds=2)

    assert queued == [{"args": None, "countdown": 2}]
    assert _members() == set()

    # The one task drains them all, in chunks (450 > one chunk of 200).
    assert segment_tasks.refresh_visitor_memberships_task() == 450
    assert _members() == set(ids)
    assert client.scard(refresh_queue._key(refresh_queue.PENDING_KEY)) == 0
    assert client.zcard(refresh_queue._key(refresh_queue.CLAIMS_KEY)) == 0

    # Its flag was dropped when it started: the next ingest queues the next task.
    schedule_membership_refresh(ids[:1], debounce_seconds=2)
    assert len(queued) == 2
    assert segment_tasks.refresh_visitor_memberships_task() == 1
    assert segment_tasks.refresh_visitor_memberships_task() == 0


def test_a_failed_chunk_goes_back_and_a_retry_is_queued(redis, monkeypatch):
    client, queued = redis
    ids = _buyers(3)
    schedule_membership_refresh(ids, debounce_seconds=2)

    def broken(visitor_ids: list[str]) -> int:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        refresh_queue.drain(client, broken)

    assert queued[-1] == {"args": None, "countdown": refresh_queue.RETRY_SECONDS}
    assert segment_tasks.refresh_visitor_memberships_task() == 3
    assert _members() == set(ids)


def test_a_chunk_claimed_by_a_worker_that_died_is_refreshed_after_the_lease(redis):
    client, queued = redis
    ids = _buyers(3)
    schedule_membership_refresh(ids, debounce_seconds=2)
    pending, claims = (
        refresh_queue._key(k) for k in (refresh_queue.PENDING_KEY, refresh_queue.CLAIMS_KEY)
    )
    # A worker claimed the chunk and was killed before refreshing it.
    claim = refresh_queue._key("{segment-refresh}:claim:dead")
    client.eval(refresh_queue._CLAIM, 3, pending, claim, claims, 200, clock.now().timestamp())

    # Within the lease the claim is left to its worker.
    assert segment_tasks.refresh_visitor_memberships_task() == 0
    with time_machine.travel(clock.now().timestamp() + refresh_queue.LEASE_SECONDS + 1):
        assert segment_tasks.refresh_visitor_memberships_task() == 3

    assert _members() == set(ids)
    assert client.exists(claim) == 0


def test_without_redis_each_ingest_keeps_its_own_task(monkeypatch):
    queued: list[dict] = []
    monkeypatch.setattr(
        segment_tasks.refresh_visitor_memberships_task,
        "apply_async",
        lambda args=None, **kwargs: queued.append({"args": args, **kwargs}),
    )
    assert refresh_queue.redis_client() is None  # eager, local memory
    schedule_membership_refresh(["a"], debounce_seconds=2)
    schedule_membership_refresh(["b"], debounce_seconds=2)
    assert [call["args"] for call in queued] == [[["a"]], [["b"]]]
