"""A circuit breaker for the Redis cache.

When a connect, write or read to Redis fails or times out, every cache call of this
process fails at once for `PZ_CACHE_BREAKER_SECONDS`; django-redis answers those as
misses (IGNORE_EXCEPTIONS), so a dead or hung Redis costs one socket timeout per process
and window instead of one per cache call. The next call after the window tries Redis
again. Pure redis-py, so settings can name the class before Django is set up.
"""

import logging
import os
import time
from typing import Any

from redis.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

OPEN_SECONDS = float(os.environ.get("PZ_CACHE_BREAKER_SECONDS", "5"))
_state = {"open_until": 0.0, "trips": 0}
logger = logging.getLogger(__name__)


def is_open() -> bool:
    return time.monotonic() < _state["open_until"]


def trips() -> int:
    """How often the breaker opened in this process (exported as a metric)."""
    return int(_state["trips"])


def trip() -> None:
    _state["open_until"] = time.monotonic() + OPEN_SECONDS
    _state["trips"] += 1


def reset() -> None:
    _state["open_until"] = 0.0


def _guarded(call: Any, *args: Any, **kwargs: Any) -> Any:
    if is_open():
        raise RedisConnectionError("cache circuit open: Redis failed moments ago")
    try:
        return call(*args, **kwargs)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        trip()
        logger.warning("cache unavailable (%s): failing fast for %.0f s", exc, OPEN_SECONDS)
        raise


class BreakerConnection(Connection):
    """A redis-py connection that opens the breaker on failure and fails fast while open."""

    def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        _guarded(super().connect_check_health, *args, **kwargs)

    def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        _guarded(super().send_packed_command, *args, **kwargs)

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return _guarded(super().read_response, *args, **kwargs)
