"""Server-rendered SVG band charts: escaped text, a band and a line, words when empty."""

import math

from core.charts import BandPoint, band_chart


def test_a_band_chart_has_a_band_a_line_and_escaped_labels():
    svg = band_chart(
        [BandPoint("<b>d1</b>", 0.1, -0.05, 0.3), BandPoint("d2", 0.12, 0.02, 0.2)],
        title='Lift "x" & <y>',
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<polygon" in svg and "<polyline" in svg and "stroke-dasharray" in svg
    assert "<b>" not in svg and "&lt;b&gt;d1&lt;/b&gt;" in svg
    assert "&quot;x&quot; &amp; &lt;y&gt;" in svg


def test_missing_values_are_skipped_and_an_empty_series_says_so():
    assert "Not enough data yet" in band_chart([BandPoint("d", None)], title="t")
    svg = band_chart([BandPoint("a", 0.1, -math.inf, math.inf), BandPoint("b", None)], title="t")
    assert svg.count("<circle") == 1
