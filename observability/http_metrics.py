"""Per-request metrics and the access log line, keyed by URL route name.

The events and decide counters are read from the API's own answer here, so every
ingest through the public API is counted in one place without touching the views.
"""

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from observability import metrics

logger = logging.getLogger("pz.access")
UNMATCHED = "unmatched"  # 404s of unknown paths: one label, whatever the path


def route_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.view_name or UNMATCHED) if match else UNMATCHED


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - start
        route = route_name(request)
        metrics.HTTP_REQUEST_SECONDS.labels(route=route, method=request.method).observe(elapsed)
        metrics.HTTP_RESPONSES.labels(
            route=route, method=request.method, status=str(response.status_code)
        ).inc()
        if request.method == "POST":
            self._count_api(route, response, elapsed)
        logger.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "route": route,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        return response

    @staticmethod
    def _count_api(route: str, response: HttpResponse, elapsed: float) -> None:
        if route == "api-decide":
            metrics.DECIDE_SECONDS.observe(elapsed)
        elif route == "api-events":
            data = getattr(response, "data", None)
            if response.status_code == 202 and isinstance(data, dict):
                metrics.record_ingest(data)
            elif response.status_code == 429:
                metrics.EVENTS_REJECTED.labels(reason="rate_limited").inc()
            elif 400 <= response.status_code < 500:
                metrics.record_rejected_batch()
