"""Wagtail admin screens of the catalog: the imports made (read-only history, written by
`services.import_feed_file`) and the feed upload."""

from typing import Any

from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from catalog.admin_views import ProductFeedUploadView
from catalog.models import Product, ProductImport
from core.admin_permissions import ViewOnlyPermissionPolicy


class ProductImportIndexView(generic.IndexView):
    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        buttons = list(super().header_buttons)
        policy = ModelPermissionPolicy(Product)
        user = self.request.user
        if policy.user_has_permission(user, "add") and policy.user_has_permission(user, "change"):
            buttons.append(
                HeaderButton(
                    "Upload a feed", url=reverse("product_imports:upload"), icon_name="upload"
                )
            )
        return buttons


class ProductImportViewSet(ModelViewSet):
    model = ProductImport
    icon = "upload"
    menu_label = "Product imports"
    menu_order = 240
    add_to_admin_menu = True
    index_view_class = ProductImportIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "file_name",
        Column("source", accessor="get_source_display"),
        "user",
        "rows",
        "created",
        "updated",
        "unchanged",
        "rejected",
        DateColumn("started_at", label="Started", sort_key="started_at"),
    ]
    list_filter = ["source"]
    form_fields = ["file_name"]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("upload/", self.construct_view(ProductFeedUploadView), name="upload"),
        ]


register_permission_policy(ProductImport, ViewOnlyPermissionPolicy(ProductImport))
