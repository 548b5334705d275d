"""Recency / frequency / monetary scoring by quintiles, and the classic RFM labels."""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RfmCuts:
    """Four ascending cut points per dimension splitting customers into quintiles."""

    recency: tuple[float, ...] = ()
    frequency: tuple[float, ...] = ()
    monetary: tuple[float, ...] = ()


def quintile_cuts(values: Sequence[float]) -> tuple[float, ...]:
    """The 20th, 40th, 60th and 80th percentiles (nearest-rank) of `values`."""
    if not values:
        return ()
    ordered = sorted(values)
    last = len(ordered) - 1
    return tuple(ordered[round(last * q / 5)] for q in range(1, 5))


def _rank(value: float, cuts: tuple[float, ...]) -> int:
    """1 + the number of cut points strictly below `value` (so 1..5)."""
    return 1 + sum(1 for cut in cuts if value > cut)


def score(
    recency_days: float | None, frequency: int, monetary: float, cuts: RfmCuts
) -> tuple[int, int, int] | None:
    """(R, F, M) from 1 to 5, 5 best; None for a visitor who never purchased or no scale."""
    if recency_days is None or frequency <= 0 or not cuts.recency:
        return None
    recency = 6 - _rank(recency_days, cuts.recency)
    return recency, _rank(frequency, cuts.frequency), _rank(monetary, cuts.monetary)


def label(r: int | None, f: int | None, m: int | None) -> str | None:
    """The classic RFM segment name for a score, first match wins."""
    if r is None or f is None or m is None:
        return None
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if r <= 2 and m >= 4:
        return "lapsed_high_value"
    if r <= 2 and f >= 3:
        return "at_risk"
    if f >= 3 and r >= 3:
        return "loyal"
    if r >= 4 and f <= 2:
        return "new"
    if r <= 2:
        return "hibernating"
    return "needs_attention"
