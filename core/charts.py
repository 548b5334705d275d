"""Server-rendered SVG charts (no chart library, no CDN, readable without JavaScript): a
line of estimates with a shaded interval band, as reports plot a lift over time. Pure:
numbers in, markup out (every text escaped)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class BandPoint:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


def _fmt(value: float, percent: bool) -> str:
    return f"{value:+.0%}" if percent else f"{value:,.2f}"


def band_chart(
    points: Sequence[BandPoint],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    percent: bool = True,
    zero_line: bool = True,
) -> str:
    """An SVG of `points` (left to right) with their [low, high] band and a zero line.
    Points without a value are skipped; an empty series says so in words."""
    shown = [p for p in points if p.value is not None and math.isfinite(p.value)]
    label = escape(title)
    if not shown:
        return (
            f'<svg class="pz-chart" role="img" aria-label="{label}" viewBox="0 0 {width} 40" '
            f'width="100%" xmlns="http://www.w3.org/2000/svg"><title>{label}</title>'
            '<text x="8" y="24" font-size="13" fill="#555">Not enough data yet.</text></svg>'
        )
    lows = [p.low if p.low is not None and math.isfinite(p.low) else p.value for p in shown]
    highs = [p.high if p.high is not None and math.isfinite(p.high) else p.value for p in shown]
    values = [p.value for p in shown]
    top = max([*highs, *values, 0.0 if zero_line else values[0]])
    bottom = min([*lows, *values, 0.0 if zero_line else values[0]])
    if top == bottom:
        top, bottom = top + 1, bottom - 1
    left, right, pad_top, pad_bottom = 56, 12, 12, 28
    plot_w, plot_h = width - left - right, height - pad_top - pad_bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (len(shown) - 1) if len(shown) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return pad_top + plot_h * (top - v) / (top - bottom)

    band = " ".join(f"{x(i):.1f},{y(h):.1f}" for i, h in enumerate(highs))
    band += " " + " ".join(f"{x(i):.1f},{y(lo):.1f}" for i, lo in reversed(list(enumerate(lows))))
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [
        f'<svg class="pz-chart" role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="max-width: 100%; height: auto" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{label}</title>',
        f'<polygon points="{band}" fill="#2e7d6f" fill-opacity="0.18" stroke="none"/>',
    ]
    if zero_line and bottom <= 0 <= top:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
            'stroke="#888" stroke-dasharray="4 3"/>'
        )
    parts.append(f'<polyline points="{line}" fill="none" stroke="#1b5e52" stroke-width="2"/>')
    for i, point in enumerate(shown):
        tip = escape(f"{point.label}: {_fmt(values[i], percent)}")
        if point.low is not None and point.high is not None:
            tip += escape(f" ({_fmt(lows[i], percent)} to {_fmt(highs[i], percent)})")
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(values[i]):.1f}" r="2.5" fill="#1b5e52">'
            f"<title>{tip}</title></circle>"
        )
    for v in (top, bottom):
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#555">{escape(_fmt(v, percent))}</text>'
        )
    for i in sorted({0, len(shown) - 1}):
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 8}" font-size="11" text-anchor="middle" '
            f'fill="#555">{escape(shown[i].label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
