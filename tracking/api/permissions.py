from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api.permissions import HasModelPermissions


class IsTheVisitor(BasePermission):
    """The visitor themself: their signed `pz_vid` cookie or `X-Pz-Visitor` token names
    the requested id."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        own = getattr(request._request, "pz_visitor_id", None)
        return own is not None and own == view.kwargs.get("visitor_id")


class IsStaffOrTheVisitor(BasePermission):
    """Staff holding the VisitorProfile permission of the method (view to read or export,
    delete to erase), or the visitor themself exercising their access and erasure rights."""

    message = "Only permitted staff or the visitor themself may access this visitor's data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return IsTheVisitor().has_permission(request, view) or HasModelPermissions().has_permission(
            request, view
        )
