"""The one clock of pz's business time: schedules, windows, recency, retention, quiet
hours and every stored "when". Code reads the time here and nowhere else (ruff's banned-api
rule enforces it), so tests pin one thing (time-machine, see conftest.py) and a day of
the week can never change a result.

Monotonic timers that measure durations, and wall-clock stamps that only need to differ
(rate-limit windows, cache freshness), are not business time and keep using `time`.
"""

from datetime import UTC, datetime

from django.utils import timezone


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)  # noqa: TID251 - the one place that reads the clock


def localtime(value: datetime | None = None) -> datetime:
    """`value` (default: now) in the current time zone: the site's `TIME_ZONE`, or the
    one a request activated. Rules read `local_hour` and `local_weekday` from it."""
    return timezone.localtime(now() if value is None else value)  # noqa: TID251
