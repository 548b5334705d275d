from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView


class IsStaffOrTheVisitor(BasePermission):
    """Staff, or the visitor themself (the signed `pz_vid` cookie names the same id):
    visitors exercise their own access and erasure rights."""

    message = "Only staff or the visitor themself may access this visitor's data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.user and request.user.is_staff:
            return True
        from tracking.middleware import read_visitor_cookie

        return read_visitor_cookie(request._request) == view.kwargs.get("visitor_id")
