"""Writes of server keys: create (the key is returned once), revoke, note their use."""

import time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from wagtail.log_actions import log

from core import clock
from core.models import ServerKey
from core.selectors import (
    REVOKED_OR_UNKNOWN,
    SERVER_KEY_CACHE_SECONDS,
    forget_active_key,
    server_key_cache_key,
)
from core.server_keys import generate_server_key, server_key_hash, shown_prefix

# last_used_at is written at most once a minute per key and process, not per request.
LAST_USED_RESOLUTION_SECONDS = 60
_last_noted: dict[int, float] = {}


@transaction.atomic
def create_server_key(*, name: str, created_by: Any = None) -> tuple[ServerKey, str]:
    """A new server key and the key itself, which is stored only hashed: show it once."""
    key = generate_server_key()
    server_key = ServerKey.objects.create(
        name=name.strip()[:100],
        prefix=shown_prefix(key),
        key_hash=server_key_hash(key),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    log(instance=server_key, action="wagtail.create", user=server_key.created_by)
    return server_key, key


@transaction.atomic
def revoke_server_key(*, server_key: ServerKey, user: Any = None) -> ServerKey:
    """Revoke a key: this process refuses it from the commit on, every other process
    within `PROCESS_MEMO_SECONDS` (1 s; the shared cache holds the revocation)."""
    server_key = ServerKey.objects.select_for_update().get(pk=server_key.pk)
    if server_key.revoked_at is None:
        server_key.revoked_at = clock.now()
        server_key.save(update_fields=["revoked_at"])
        log(
            instance=server_key,
            action="pz.server_key.revoke",
            user=user if getattr(user, "pk", None) else None,
        )
    marks = {server_key_cache_key(server_key.key_hash): REVOKED_OR_UNKNOWN}
    key_hash = server_key.key_hash

    def mark_revoked() -> None:
        cache.set_many(marks, SERVER_KEY_CACHE_SECONDS)
        forget_active_key(key_hash)

    transaction.on_commit(mark_revoked)
    return server_key


def note_server_key_used(server_key_id: int) -> None:
    """Record that a key was used (shown in the admin), at most once a minute."""
    now = time.monotonic()
    if now - _last_noted.get(server_key_id, float("-inf")) < LAST_USED_RESOLUTION_SECONDS:
        return
    _last_noted[server_key_id] = now
    ServerKey.objects.filter(pk=server_key_id).update(last_used_at=clock.now())
