"""How reports show numbers to marketers: rates as percentages, money with the shop's
currency symbol (`PZ_CURRENCY_SYMBOL`). One place, so every screen agrees."""

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
