"""DRF permissions of the staff API.

Staff reach the API through the Wagtail groups (see `core.staff_groups`), so an endpoint
asks for the permission the admin would: reading needs `view`, creating `add`, changing
`change`, deleting `delete` on the model the endpoint is about.
"""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.permissions import permission_codename
from core.selectors import ActiveServerKey

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


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


class ServerKeyOrModelPermissions(BasePermission):
    """The shop's backend (a server key) for the methods the view lists in
    `server_key_methods` (API.md: it writes products and customers, nothing else), or
    staff with the model permission of the method."""

    message = "You do not have the permission this operation needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if isinstance(request.auth, ActiveServerKey):
            return (request.method or "").upper() in getattr(view, "server_key_methods", ())
        return HasModelPermissions().has_permission(request, view)
