"""Refuse a URL holding a NUL character before anything looks it up: PostgreSQL cannot
compare text with NUL, so `?a=%00` reaching a query (a segment key, an admin search, a
redirect lookup) would be a 500 instead of the 400 that bad input gets."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from core.api.errors import API_PREFIX, error_body

NUL = "\x00"


class NulInUrlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info or any(
            NUL in key or any(NUL in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path_info.startswith(API_PREFIX):
                body = error_body("invalid", "The URL holds a NUL character.", {"url": "NUL"})
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest("The URL holds a NUL character.")
        return self.get_response(request)
