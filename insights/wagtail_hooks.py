from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core.admin_menu import PERSONALIZATION_MENU_HOOK, REPORTS_ORDER
from insights.admin_views import UpliftReportView, can_view_reports
from insights.panels import dashboard_panels
from insights.segment_sections import segment_kpi_section
from insights.trigger_sections import trigger_control_section
from segments.admin_viewsets import INSPECT_SECTIONS_HOOK
from triggers.admin_views import RESULTS_SECTIONS_HOOK


@hooks.register("register_admin_urls")
def register_insights_urls() -> list:
    return [path("insights/uplift/", UpliftReportView.as_view(), name="insights_uplift")]


class ReportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:  # noqa: ANN001 - Wagtail's signature
        return can_view_reports(request.user)


@hooks.register(PERSONALIZATION_MENU_HOOK)
def register_uplift_menu_item() -> MenuItem:
    return ReportMenuItem(
        "Personalization results", reverse("insights_uplift"), icon_name="pick", order=REPORTS_ORDER
    )


@hooks.register(INSPECT_SECTIONS_HOOK)
def segment_kpis(request, segment):  # noqa: ANN001, ANN201 - the hook's signature
    if not can_view_reports(request.user):
        return ""
    return segment_kpi_section(request, segment)


@hooks.register(RESULTS_SECTIONS_HOOK)
def trigger_control(request, trigger):  # noqa: ANN001, ANN201 - the hook's signature
    if not can_view_reports(request.user):
        return ""
    return trigger_control_section(request, trigger)


@hooks.register("construct_homepage_panels")
def personalization_dashboard(request, panels):  # noqa: ANN001, ANN201 - the hook's signature
    if can_view_reports(request.user):
        panels.extend(dashboard_panels())
