"""Wagtail admin screens of server keys (administrators only: the model permissions of
`pz_core.ServerKey` belong to the Administrators group alone). Creating a key shows it
once; a key is revoked, never deleted, so the row stays for the record and every
process refuses it at once (a deleted key could live on in a cache)."""

from typing import Any

from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from core import clock, services
from core.models import ServerKey


class PrefixColumn(Column):
    def get_value(self, instance: ServerKey) -> str:
        return f"{instance.prefix}…"


class LastUsedColumn(Column):
    def get_value(self, instance: ServerKey) -> str:
        if instance.last_used_at is None:
            return "never"
        return date_format(clock.localtime(instance.last_used_at), "DATETIME_FORMAT")


class StatusColumn(Column):
    def get_value(self, instance: ServerKey) -> str:
        return "active" if instance.is_active else f"revoked {instance.revoked_at:%Y-%m-%d %H:%M}"


class ServerKeyCreateView(generic.CreateView):
    """Creates the key through the service and shows it on the next page, once; it is
    never put in a message (messages may travel in a cookie) or in a URL."""

    created_template_name = "core/admin/server_key_created.html"

    def save_instance(self) -> ServerKey:
        server_key, self.key = services.create_server_key(
            name=self.form.cleaned_data["name"], created_by=self.request.user
        )
        return server_key

    def save_action(self) -> HttpResponse:
        context = self.get_context_data(form=self.form)
        context.update(server_key=self.object, key=self.key, index_url=reverse("server_keys:index"))
        response = self.response_class(
            request=self.request, template=[self.created_template_name], context=context
        )
        response["Cache-Control"] = "no-store"
        return response


class RevokeInsteadOfDelete(ModelPermissionPolicy):
    def user_has_permission(self, user: Any, action: str) -> bool:
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(ServerKey, RevokeInsteadOfDelete(ServerKey))


class ServerKeyInspectView(generic.InspectView):
    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        if not (self.object.is_active and self.user_has_permission("change")):
            return []
        return [
            HeaderButton(
                "Revoke",
                icon_name="cross",
                attrs={
                    "data-controller": "w-action",
                    "data-action": "w-action#post",
                    "data-w-action-url-value": reverse("server_keys:revoke", args=[self.object.pk]),
                },
            )
        ]


class ServerKeyRevokeView(PermissionCheckedMixin, BaseOperationView):
    model = ServerKey
    permission_required = "change"
    success_url_name = "server_keys:inspect"

    def perform_operation(self) -> None:
        self.object = services.revoke_server_key(server_key=self.object, user=self.request.user)
        self.success_message = f"'{self.object}' is revoked: calls with it are refused."


class ServerKeyViewSet(ModelViewSet):
    model = ServerKey
    icon = "key"
    menu_label = "Server keys"
    add_to_settings_menu = True
    add_view_class = ServerKeyCreateView
    inspect_view_class = ServerKeyInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["name"]
    list_display = [
        "name",
        PrefixColumn("prefix", label="Key starts with"),
        StatusColumn("revoked_at", label="Status", sort_key="revoked_at"),
        DateColumn("created_at", label="Created", sort_key="created_at"),
        LastUsedColumn("last_used_at", label="Last used", sort_key="last_used_at"),
    ]
    inspect_view_fields = [
        "name",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    search_fields = ["name"]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("revoke/<int:pk>/", self.construct_view(ServerKeyRevokeView), name="revoke"),
        ]
