"""The base of the public endpoints (events, decide, consent, recommendations).

Callers are bound to visitors by `core.authentication` (API.md "Callers and identity"):
a server key acts for any visitor, a browser or app only for its own, whose id and token
every successful response body carries. No session authentication, so no CSRF; rate
limited per client.
"""

from collections.abc import Iterable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.parsers import SafeJSONParser
from core.api.throttling import PublicEndpointThrottle
from core.authentication import ActsForOwnVisitor, ServerKeyAuthentication, request_caller


class PublicApiView(APIView):
    authentication_classes = [ServerKeyAuthentication]
    permission_classes = [ActsForOwnVisitor]
    parser_classes = [SafeJSONParser]
    throttle_classes = [PublicEndpointThrottle]

    def requested_visitor_ids(self, request: Request) -> Iterable[Any]:
        """The visitor ids the request names (the permission checks each); by default
        the body's `visitor_id`."""
        data = request.data
        return [data.get("visitor_id")] if isinstance(data, dict) else []

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code < 300 and isinstance(getattr(response, "data", None), dict):
            for name, value in request_caller(request).identity().items():
                response.data.setdefault(name, value)
        return response
