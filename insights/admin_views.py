"""The uplift report in the Wagtail admin: a period, one plain sentence, the cumulative
lift chart with its band (server-rendered SVG) and the table; placements' associated
differences below."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.charts import band_chart
from core.formatting import money, percent
from insights import selectors, services
from insights.wording import uplift_sentence

REPORT_PERMISSION = "insights.view_segmentkpiday"
PERIODS = (7, 30, 90, 365)


def can_view_reports(user: Any) -> bool:
    return bool(user and user.is_active and user.has_perm(REPORT_PERMISSION))


class ReportPermissionMixin:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_reports(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def metric_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """The table's rows: each metric for both groups and the lift, formatted."""
    rows = []
    for name, label, fmt in (
        ("conversion_rate", "Conversion rate", percent),
        ("revenue_per_visitor", "Revenue per visitor", money),
        ("average_order_value", "Average order value", money),
    ):
        lift = report["lift"][name]
        low, high = lift["ci95"]
        rows.append(
            {
                "key": name,
                "label": label,
                "personalized": fmt(report["personalized"][name]),
                "holdout": fmt(report["holdout"][name]),
                "lift": percent(lift["estimate"], signed=True),
                "interval": (
                    f"{percent(low, signed=True)} to {percent(high, signed=True)}"
                    if low is not None and high is not None
                    else "not enough data"
                ),
            }
        )
    return rows


class UpliftReportView(ReportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "insights/admin/uplift.html"
    page_title = "What personalization earns"
    header_icon = "pick"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        try:
            days = int(self.request.GET.get("days", 30))
        except ValueError:
            days = 30
        days = days if days in PERIODS else 30
        report = services.uplift_report(days=days)
        context.update(
            days=days,
            periods=PERIODS,
            report=report,
            sentence=uplift_sentence(report),
            rows=metric_rows(report),
            chart=mark_safe(  # noqa: S308 - core.charts escapes every text it renders
                band_chart(
                    services.lift_points(report), title="Lift in conversion rate, cumulative"
                )
            ),
            holdout_percent=percent(report["holdout_share"]),
            contributions=[
                {
                    "placement": c.placement,
                    "targeted": percent(c.targeted_rate),
                    "targeted_viewers": c.targeted_viewers,
                    "fallback": percent(c.fallback_rate),
                    "fallback_viewers": c.fallback_viewers,
                    "difference": percent(c.difference, signed=True),
                }
                for c in selectors.placement_contributions()
            ],
        )
        return context
