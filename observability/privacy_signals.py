"""Global Privacy Control and Do-Not-Track: with `PZ_HONOUR_GPC`, a request carrying
`Sec-GPC: 1` or `DNT: 1` gets `request.pz_gpc = True`, which means "no tracking unless the
visitor explicitly consented"; an explicit choice always wins over the browser signal.
Ingest honours it once callers pass `gpc=request.pz_gpc` to `tracking.services.ingest_events`."""

from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def privacy_signal(headers: Mapping[str, str]) -> bool:
    """True when the browser asks not to be tracked (GPC or the older DNT)."""
    return headers.get("Sec-GPC", "").strip() == "1" or headers.get("DNT", "").strip() == "1"


class GlobalPrivacyControlMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.pz_gpc = bool(  # type: ignore[attr-defined]
            settings.PZ_HONOUR_GPC and privacy_signal(request.headers)
        )
        return self.get_response(request)
