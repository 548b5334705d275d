from typing import Any

from django.templatetags.static import static
from django.urls import URLPattern, path
from django.utils.html import format_html
from wagtail import hooks
from wagtail.log_actions import LogFormatter

from core.admin_menu import PersonalizationMenu
from core.admin_panels import ScheduledWorkPanel
from core.admin_views import JobView
from core.admin_viewsets import ServerKeyViewSet


@hooks.register("register_admin_viewset")
def register_server_key_viewset() -> ServerKeyViewSet:
    return ServerKeyViewSet("server_keys")


@hooks.register("register_log_actions")
def register_server_key_actions(actions: Any) -> None:
    @actions.register_action("pz.server_key.revoke")
    class RevokeServerKey(LogFormatter):
        label = "Revoke server key"
        message = "Server key revoked"


@hooks.register("register_admin_menu_item")
def register_personalization_menu() -> Any:
    return PersonalizationMenu().get_menu_item()


@hooks.register("construct_homepage_panels")
def add_scheduled_work_panel(request: Any, panels: list[Any]) -> None:
    if request.user.is_staff:
        panels.append(ScheduledWorkPanel())


@hooks.register("register_admin_urls")
def register_job_url() -> list[URLPattern]:
    return [path("jobs/<int:pk>/", JobView.as_view(), name="pz_job")]


@hooks.register("insert_global_admin_css")
def value_tables_css() -> str:
    # Stored JSON reads as tables on any admin page (core.value_display).
    return format_html('<link rel="stylesheet" href="{}">', static("core/values.css"))
