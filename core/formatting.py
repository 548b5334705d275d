"""How reports show numbers to marketers: rates as percentages, money with the shop's
currency symbol (`PZ_CURRENCY_SYMBOL`), lengths of time in words. One place, so every
screen agrees."""

from django.conf import settings


def percent(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:+.{digits}%}" if signed else f"{value:.{digits}%}"


def money(value: float | None) -> str:
    if value is None:
        return "–"
    sign = "−" if value < 0 else ""
    return f"{sign}{settings.PZ_CURRENCY_SYMBOL}{abs(value):,.2f}"


# Units durations are shown and entered in, largest first. Weeks are left out of display
# so caps read "7 days" and "30 days", as marketers plan them.
DURATION_UNITS: tuple[tuple[str, int], ...] = (
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
)


def duration_parts(seconds: int) -> tuple[int, str]:
    """`seconds` as (count, unit) in the largest unit that divides it exactly
    (`1800` -> `(30, "minute")`; 0 -> `(0, "minute")`)."""
    if not seconds:
        return 0, "minute"
    for unit, size in DURATION_UNITS:
        if seconds % size == 0:
            return seconds // size, unit
    return seconds, "second"  # pragma: no cover - a second divides every whole number


def duration(seconds: int | None) -> str:
    """A length of time as words: "30 minutes", "7 days", "1 hour" (`None`: "–")."""
    if seconds is None:
        return "–"
    count, unit = duration_parts(int(seconds))
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
