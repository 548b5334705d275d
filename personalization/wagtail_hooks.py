"""Wagtail registrations of personalization: the "preview as" screen (its URL name and
path stay those it had under content, and its menu item sits in the content menu) and
the customer lookup (in the Personalization menu, with the audience screens)."""

from typing import Any

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from content.admin_viewsets import CONTENT_MENU_HOOK, PREVIEW_AS_URL_NAME, StaffMenuItem
from core.admin_menu import AUDIENCE_ORDER, CONTENT_ORDER, PERSONALIZATION_MENU_HOOK
from core.audit import register_change_actions
from core.permissions import can_view_visitor_data
from personalization.admin_views import CustomerLookupView, PreviewAsView
from personalization.customer_lookup import LOOKUP_ACTIONS

CUSTOMER_LOOKUP_URL_NAME = "personalization_customer_lookup"


@hooks.register("register_admin_urls")
def register_preview_as_url() -> list[URLPattern]:
    return [
        path("content/preview-as/", PreviewAsView.as_view(), name=PREVIEW_AS_URL_NAME),
        path("customers/lookup/", CustomerLookupView.as_view(), name=CUSTOMER_LOOKUP_URL_NAME),
    ]


@hooks.register(CONTENT_MENU_HOOK)
def register_preview_as_menu_item() -> StaffMenuItem:
    return StaffMenuItem(
        "Preview as…", reverse_lazy(PREVIEW_AS_URL_NAME), icon_name="view", order=CONTENT_ORDER + 50
    )


class VisitorDataMenuItem(MenuItem):
    """Shown to staff who may see individual visitors only."""

    def is_shown(self, request: Any) -> bool:
        return can_view_visitor_data(request.user)


@hooks.register(PERSONALIZATION_MENU_HOOK)
def register_customer_lookup_menu_item() -> MenuItem:
    return VisitorDataMenuItem(
        "Customer lookup",
        reverse_lazy(CUSTOMER_LOOKUP_URL_NAME),
        icon_name="search",
        order=AUDIENCE_ORDER - 1,
    )


@hooks.register("register_log_actions")
def register_customer_lookup_log_actions(actions: Any) -> None:
    register_change_actions(actions, LOOKUP_ACTIONS)
