from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from tracking.admin_views import CustomerImportView
from tracking.admin_viewsets import (
    AttributeDefinitionViewSet,
    EventTypeDefinitionViewSet,
    TrackingViewSetGroup,
)


@hooks.register("register_admin_viewset")
def register_tracking_viewsets() -> TrackingViewSetGroup:
    return TrackingViewSetGroup()


@hooks.register("register_admin_viewset")
def register_definition_viewsets() -> list:
    return [
        EventTypeDefinitionViewSet("event_types"),
        AttributeDefinitionViewSet("customer_attributes"),
    ]


@hooks.register("register_admin_urls")
def register_customer_import_url() -> list:
    return [path("customer-import/", CustomerImportView.as_view(), name="tracking_customer_import")]


class CustomerImportMenuItem(MenuItem):
    def is_shown(self, request) -> bool:  # noqa: ANN001 - Wagtail's signature
        return request.user.has_perm("tracking.change_visitorprofile")


@hooks.register("register_settings_menu_item")
def register_customer_import_menu_item() -> MenuItem:
    return CustomerImportMenuItem(
        "Import customers", reverse("tracking_customer_import"), icon_name="upload", order=900
    )
