"""Coalesce the membership refresh after ingest across requests (Redis only).

One task per ingest request paid the refresh's fixed cost (one transaction, the
segments' union query, the window rebuild) for a handful of visitors each, so under
load the ingest queue fell behind. With a django-redis cache and a real worker, each
ingest adds its visitors to one pending set and queues a drain task only when none is
already queued (a `SET NX` flag); the drain refreshes the pending visitors in chunks.

No visitor is lost if a worker dies mid-chunk: a chunk is moved atomically from the
pending set into its own claim set (listed in a sorted set by claim time) and only
deleted once refreshed; a failed chunk goes back at once, a claim older than the lease
(a killed worker) goes back at the next drain. A refresh recomputes from the stored
events, so running a visitor twice is harmless. Keys share one hash tag (Redis Cluster).
"""

import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache, caches

from core import clock

logger = logging.getLogger(__name__)

PENDING_KEY = "{segment-refresh}:pending"
SCHEDULED_KEY = "{segment-refresh}:scheduled"
CLAIMS_KEY = "{segment-refresh}:claims"
CHUNK_SIZE = 200
# Chunks per task run: a run stays well inside the ingest queue's time limit (60 s).
MAX_CHUNKS_PER_RUN = 20
# Longer than any task may run (the ingest queue's hard limit is 60 s).
LEASE_SECONDS = 300
RETRY_SECONDS = 5

# Pop up to ARGV[1] ids and keep them in the claim set KEYS[2], listed in KEYS[3].
_CLAIM = """
local ids = redis.call('SPOP', KEYS[1], ARGV[1])
if #ids > 0 then
  redis.call('SADD', KEYS[2], unpack(ids))
  redis.call('ZADD', KEYS[3], ARGV[2], KEYS[2])
end
return ids
"""
# Put every claim listed before ARGV[1] back into the pending set.
_RECLAIM = """
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, claim in ipairs(stale) do
  redis.call('SUNIONSTORE', KEYS[1], KEYS[1], claim)
  redis.call('DEL', claim)
  redis.call('ZREM', KEYS[2], claim)
end
return #stale
"""


def redis_client() -> Any | None:
    """The raw Redis client when refreshes can be coalesced: a django-redis cache and
    tasks sent to a worker. None in eager or local-memory mode (one refresh per call)."""
    from segments.tasks import refresh_visitor_memberships_task

    backend = caches["default"]  # `cache` is a proxy: its type says nothing
    eager = refresh_visitor_memberships_task.app.conf.task_always_eager
    if eager or not type(backend).__module__.startswith("django_redis"):
        return None
    return backend.client.get_client(write=True)  # type: ignore[attr-defined]


def _key(name: str) -> str:
    return cache.make_key(name)


def enqueue(redis: Any, visitor_ids: Iterable[str], *, countdown: int) -> list[str]:
    """Add the visitors to the pending set and queue a drain unless one is queued."""
    ids = sorted(set(visitor_ids))
    if ids:
        redis.sadd(_key(PENDING_KEY), *ids)
        schedule_drain(redis, countdown=countdown)
    return ids


def schedule_drain(redis: Any, *, countdown: int) -> bool:
    """Queue a drain task unless the flag says one is queued; True when queued now. The
    flag expires, so a lost task message only delays the refresh by its lifetime."""
    from segments.tasks import refresh_visitor_memberships_task

    if not redis.set(_key(SCHEDULED_KEY), 1, nx=True, ex=countdown + 60):
        return False
    try:
        refresh_visitor_memberships_task.apply_async(countdown=countdown)
    except Exception:
        # Not queued (the broker is down): the flag must not hold back the next ingest's.
        redis.delete(_key(SCHEDULED_KEY))
        raise
    return True


def drain(
    redis: Any,
    refresh: Callable[[list[str]], int],
    *,
    chunk_size: int = CHUNK_SIZE,
    max_chunks: int = MAX_CHUNKS_PER_RUN,
) -> tuple[int, int]:
    """Refresh the pending visitors chunk by chunk; (visitors refreshed, `refresh`'s sum)."""
    pending, claims = _key(PENDING_KEY), _key(CLAIMS_KEY)
    # Dropped first: visitors added from now on queue another drain, none waits unseen.
    redis.delete(_key(SCHEDULED_KEY))
    reclaimed = redis.eval(_RECLAIM, 2, pending, claims, clock.now().timestamp() - LEASE_SECONDS)
    if reclaimed:
        logger.warning("%d stale membership refresh claims put back", reclaimed)
    visitors = total = 0
    for _ in range(max_chunks):
        claim = _key(f"{{segment-refresh}}:claim:{uuid.uuid4().hex}")
        raw = redis.eval(_CLAIM, 3, pending, claim, claims, chunk_size, clock.now().timestamp())
        if not raw:
            return visitors, total
        ids = sorted(item.decode() if isinstance(item, bytes) else item for item in raw)
        try:
            total += refresh(ids)
        except Exception:
            # Back to the pending set, and a drain queued to retry them.
            redis.sadd(pending, *ids)
            _release(redis, claim)
            schedule_drain(redis, countdown=RETRY_SECONDS)
            raise
        _release(redis, claim)
        visitors += len(ids)
    # More than one run's worth is waiting: let the next run take it.
    if redis.scard(pending):
        schedule_drain(redis, countdown=0)
    return visitors, total


def _release(redis: Any, claim: str) -> None:
    pipe = redis.pipeline()
    pipe.delete(claim)
    pipe.zrem(_key(CLAIMS_KEY), claim)
    pipe.execute()
