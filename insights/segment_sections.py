"""The KPI section insights adds to the segment screen (segments' inspect hook)."""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from core.charts import BandPoint, band_chart
from core.formatting import money, percent
from insights import kpis


def segment_kpi_section(request: Any, segment: Any) -> SafeString:
    data = kpis.segment_kpis(segment, days=30, user=request.user)
    points = [
        BandPoint(row["date"][5:], row["conversion_rate"])
        for row in data["daily"]
        if not row["suppressed"]
    ]
    chart = band_chart(points, title="Daily conversion rate", height=160, zero_line=False)
    shown = {
        "conversion_rate": percent(data["conversion_rate"]),
        "average_order_value": money(data["average_order_value"]),
        "revenue_per_visitor": money(data["revenue_per_visitor"]),
        "placement_ctr": percent(data["placement_ctr"]),
    }
    return render_to_string(
        "insights/admin/segment_kpis.html",
        {
            "kpis": data,
            "shown": shown,
            "minimum": settings.PZ_MIN_SEGMENT_SIZE,
            "chart": mark_safe(chart),  # noqa: S308 - core.charts escapes every text
        },
        request=request,
    )
