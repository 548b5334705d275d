"""Fills the placement markers of a server-rendered page from one decision, and marks
personalized responses private so no shared cache stores one visitor's page."""

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

from personalization.request_decisions import (
    decide_for_request,
    personalized,
    request_pz,
)

logger = logging.getLogger(__name__)
# Placement keys, and personalized blocks of pages (`block:<page id>:<block id>`).
MARKER_RE = re.compile(r"<!--pz:placement:([A-Za-z0-9_:-]+)-->")


class PersonalizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        keys = request_pz(request).placements if personalized(request) else []
        if keys and not response.streaming and "html" in response.get("Content-Type", ""):
            self._fill(request, response, keys)
        if personalized(request):
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
        return response

    def _fill(self, request: HttpRequest, response: HttpResponse, keys: list[str]) -> None:
        content = response.content.decode(response.charset or "utf-8")
        decision = decide_for_request(request, list(dict.fromkeys(keys)))

        def fragment(match: re.Match[str]) -> str:
            placement = decision.placements.get(match.group(1))
            return placement.html if placement else ""

        response.content = MARKER_RE.sub(fragment, content).encode(response.charset or "utf-8")
        request_pz(request).decision = decision
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
