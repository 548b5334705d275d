"""Bounds on numbers staff type, said in words: without one, Django's own bound speaks
("less than or equal to 9223372036854775807" on SQLite)."""

from django.core.validators import MaxValueValidator


def at_most(limit: int, unit: str) -> MaxValueValidator:
    """A maximum with a human message: "At most 1,000 firings per visitor." Django then
    leaves out the database's wider bound (`IntegerField.validators`)."""
    return MaxValueValidator(limit, message=f"At most {limit:,} {unit}.")
