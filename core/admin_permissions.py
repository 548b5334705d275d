"""Wagtail permission policies shared by pz's admin screens."""

from typing import Any

from wagtail.permission_policies import ModelPermissionPolicy


class ViewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Records staff may look at but never add, edit or delete in the admin (events,
    profiles, memberships, trained models): only `view` is ever granted."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action == "view" and super().user_has_permission(user, "view")

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return "view" in actions and super().user_has_permission(user, "view")
