"""Exponentially decayed scores stored in log2 space relative to a fixed epoch.

A score S(t) = sum_i w_i * 2^(-(t - t_i) / h) is kept as L = log2(sum_i w_i * 2^((t_i - E) / h)),
so that S(t) = 2^(L - (t - E) / h). Adding an event is a log-add, merging two profiles
is a log-add, events may arrive out of order, nothing overflows, and "S(now) >= T" is the
constant comparison "L >= log2(T) + (now - E) / h" that SQL can evaluate on a plain column.
"""

import math
from datetime import UTC, datetime

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _age_in_half_lives(at: datetime, half_life_days: float) -> float:
    return (at - EPOCH).total_seconds() / (half_life_days * 86400.0)


def log_weight(weight: float, at: datetime, half_life_days: float) -> float:
    """The log2-space contribution of `weight` observed at `at`."""
    return math.log2(weight) + _age_in_half_lives(at, half_life_days)


def log_add(a: float | None, b: float | None) -> float | None:
    """log2(2^a + 2^b), tolerating missing operands."""
    if a is None:
        return b
    if b is None:
        return a
    high, low = (a, b) if a >= b else (b, a)
    return high + math.log2(1.0 + 2.0 ** (low - high))


def decayed_value(stored: float | None, now: datetime, half_life_days: float) -> float:
    """The score at `now` for a stored log2 value (0.0 when nothing was stored)."""
    if stored is None:
        return 0.0
    exponent = stored - _age_in_half_lives(now, half_life_days)
    return 2.0**exponent if exponent > -1074 else 0.0
