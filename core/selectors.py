"""Reads of server keys. A request with a server key costs one shared-cache read, at most
once a second per process and key."""

import time
from dataclasses import dataclass

from django.core.cache import cache

from core.models import ServerKey
from core.server_keys import is_server_key, server_key_hash

SERVER_KEY_CACHE_PREFIX = "server-key:"
SERVER_KEY_CACHE_SECONDS = 60 * 60
# A key that names no active key is remembered briefly; revocation writes the same mark.
REVOKED_OR_UNKNOWN = "revoked-or-unknown"
REVOKED_OR_UNKNOWN_SECONDS = 5 * 60
# An active key is trusted this long per process without a cache read: a revocation
# reaches the other processes within it (the revoking process forgets the key at once).
PROCESS_MEMO_SECONDS = 1.0
_active_memo: dict[str, tuple[float, "ActiveServerKey"]] = {}


@dataclass(frozen=True, slots=True)
class ActiveServerKey:
    """What a request needs to know about its server key."""

    id: int
    name: str


def server_key_cache_key(key_hash: str) -> str:
    return SERVER_KEY_CACHE_PREFIX + key_hash


def active_server_key(key: str) -> ActiveServerKey | None:
    """The active server key `key` names, or None (malformed, unknown or revoked). Keys
    are found by their SHA-256, so no key string is ever compared. A key read from the
    database is cached with `add`, which never overwrites a revocation made meanwhile."""
    if not is_server_key(key):
        return None
    key_hash = server_key_hash(key)
    memo = _active_memo.get(key_hash)
    if memo is not None and time.monotonic() - memo[0] < PROCESS_MEMO_SECONDS:
        return memo[1]
    cache_key = server_key_cache_key(key_hash)
    cached = cache.get(cache_key)
    if cached == REVOKED_OR_UNKNOWN:
        _active_memo.pop(key_hash, None)
        return None
    if cached is not None:
        _active_memo[key_hash] = (time.monotonic(), cached)
        return cached
    row = (
        ServerKey.objects.filter(key_hash=server_key_hash(key), revoked_at__isnull=True)
        .values_list("pk", "name")
        .first()
    )
    if row is None:
        cache.add(cache_key, REVOKED_OR_UNKNOWN, REVOKED_OR_UNKNOWN_SECONDS)
        return None
    entry = ActiveServerKey(id=row[0], name=row[1])
    if cache.add(cache_key, entry, SERVER_KEY_CACHE_SECONDS):
        _active_memo[key_hash] = (time.monotonic(), entry)
    return entry


def forget_active_key(key_hash: str) -> None:
    """Drop this process's memo of a key (on its revocation)."""
    _active_memo.pop(key_hash, None)
