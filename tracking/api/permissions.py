from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from personalization.permissions import HasModelPermissions


class IsTheVisitor(BasePermission):
    """The visitor themself: the signed `pz_vid` cookie names the requested id."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        from tracking.middleware import read_visitor_cookie

        return read_visitor_cookie(request._request) == view.kwargs.get("visitor_id")


class IsStaffOrTheVisitor(BasePermission):
    """Staff holding the VisitorProfile permission of the method (view to read or export,
    delete to erase), or the visitor themself exercising their access and erasure rights."""

    message = "Only permitted staff or the visitor themself may access this visitor's data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return IsTheVisitor().has_permission(request, view) or HasModelPermissions().has_permission(
            request, view
        )
