"""Event-window lengths such as ``30m``, ``1h``, ``7d``: strict parsing to seconds."""

from __future__ import annotations

import re

SECONDS_PER_UNIT: dict[str, int] = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86_400,
    "w": 604_800,
}
MAX_WITHIN_SECONDS = 730 * 86_400

# ASCII digits only (``\d`` would accept other scripts' digits); no sign, no leading
# zero, no whitespace, so every window has exactly one spelling.
_DURATION = re.compile(r"([1-9][0-9]{0,8})([smhdw])", re.ASCII)


class InvalidDuration(ValueError):
    """A ``within`` string that is not a positive whole number of s/m/h/d/w up to 730d."""


def parse_duration(text: object) -> int:
    """Return the window length in seconds, or raise ``InvalidDuration`` saying why."""
    if not isinstance(text, str):
        raise InvalidDuration('expected a duration string such as "30m", "1h" or "7d"')
    match = _DURATION.fullmatch(text)
    if match is None:
        raise InvalidDuration(
            f"{text[:40]!r} is not a duration: use a positive whole number followed by "
            's, m, h, d or w, such as "90s", "30m", "1h", "7d" or "2w"'
        )
    seconds = int(match.group(1)) * SECONDS_PER_UNIT[match.group(2)]
    if seconds > MAX_WITHIN_SECONDS:
        raise InvalidDuration(f"{text} is longer than the maximum window of 730d")
    return seconds


def format_duration(seconds: int) -> str:
    """Render seconds in the largest unit that divides them exactly (``3600`` -> ``1h``)."""
    for unit in ("w", "d", "h", "m"):
        size = SECONDS_PER_UNIT[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
