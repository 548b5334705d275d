"""Cache reads of one decision gathered into one round trip.

Under load every Redis round trip costs a context switch and a wait for a core, so a
decision reads ahead, in its first `get_many`, the keys later steps will ask for (the
recommender's visitor input, the catalog version, the visitor's exposures). Apps name
those keys with `read_ahead_for`; the steps read through `get`/`get_many`, which answer
from the read-ahead inside `decision_reads()` and from the cache outside it. Only keys
a decision reads before it writes them belong here: a write inside the scope is not
seen by a later read of the same key.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache

_MISSING = object()
_read_ahead: list[Callable[[str | None], Iterable[str]]] = []
_scope: ContextVar[dict[str, Any] | None] = ContextVar("pz_decision_reads", default=None)


def read_ahead_for(keys: Callable[[str | None], Iterable[str]]) -> None:
    """Register the cache keys (for a visitor id, or None) a decision will read later."""
    if keys not in _read_ahead:
        _read_ahead.append(keys)


@contextmanager
def decision_reads() -> Iterator[None]:
    """Reads inside are answered from the decision's read-ahead when it holds the key."""
    token = _scope.set({} if _scope.get() is None else _scope.get())
    try:
        yield
    finally:
        _scope.reset(token)


def get_many(keys: list[str], *, visitor_id: str | None = None) -> dict[str, Any]:
    """`cache.get_many`; inside `decision_reads()` the first call (with the visitor)
    also reads every registered key, later calls read only what it lacked."""
    seen = _scope.get()
    if seen is None:
        return cache.get_many(keys)
    wanted = [key for key in keys if key not in seen]
    if wanted:
        if visitor_id is not None or not seen:
            for extra in _read_ahead:
                wanted += [key for key in extra(visitor_id) if key not in seen]
            wanted = list(dict.fromkeys(wanted))
        found = cache.get_many(wanted)
        seen.update({key: found.get(key, _MISSING) for key in wanted})
    return {key: seen[key] for key in keys if seen[key] is not _MISSING}


def get(key: str) -> Any:
    return get_many([key]).get(key)
