"""Permissions of staff, shared by the staff API and the Wagtail admin.

Staff reach the API through the Wagtail groups (see `personalization.staff_groups`), so
an endpoint asks for the permission the admin would: reading needs `view`, creating
`add`, changing `change`, deleting `delete` on the model the endpoint is about.

One permission says who may see individual visitors ("can view visitor data"):
`VISITOR_DATA_PERMISSION`, the view permission of the visitor profile. Without it a
role (Analysts) sees aggregates only: no member lists, no test-fire for a visitor, and
counts below `PZ_MIN_SEGMENT_SIZE` suppressed (`visible_count`), so a rule such as
"e-mail = X and revenue > N" is no oracle about one person.
"""

from typing import Any

from django.conf import settings
from django.db import models
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


VISITOR_DATA_PERMISSION = "tracking.view_visitorprofile"


def permission_codename(model: type[models.Model], action: str) -> str:
    """`app_label.action_modelname`, the form `User.has_perm` expects."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def can_view_visitor_data(user: Any) -> bool:
    """May this user see individual visitors (ids, e-mail, names, members)?"""
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(VISITOR_DATA_PERMISSION)
    )


def visible_count(count: int | None, user: Any) -> tuple[int | None, bool]:
    """A count of visitors as this user may see it: `(count, False)`, or `(None, True)`
    when it is below PZ_MIN_SEGMENT_SIZE and the user may not see visitor data."""
    if count is None or count >= settings.PZ_MIN_SEGMENT_SIZE or can_view_visitor_data(user):
        return count, False
    return None, True


class CanViewVisitorData(BasePermission):
    """Staff holding `VISITOR_DATA_PERMISSION` (for screens and endpoints that show
    individual visitors, on top of their model permission)."""

    message = "Individual visitors are shown only to roles that may view visitor data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_view_visitor_data(request.user)


def required_permissions(view: Any, method: str) -> list[str] | None:
    """The permissions `method` needs on `view`, or None for a method it does not map.

    The view names its model in `permission_model`; `permission_actions` overrides the
    action per method (starting an experiment is a POST that changes it) and
    `extra_permissions` are needed on every method (segment members are visitor data).
    """
    model = getattr(view, "permission_model", None)
    if model is None:
        return None
    action = {**METHOD_ACTIONS, **getattr(view, "permission_actions", {})}.get(method.upper())
    if action is None:
        return None
    return [permission_codename(model, action), *getattr(view, "extra_permissions", ())]


class HasModelPermissions(BasePermission):
    """An active, authenticated user holding the model permissions of the method; like
    DRF's `DjangoModelPermissions`, but reading needs `view` too (analysts see no more
    through the API than in the admin). Superusers hold every permission."""

    message = "You do not have the permission this operation needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        needed = required_permissions(view, request.method or "")
        return needed is not None and user.has_perms(needed)
