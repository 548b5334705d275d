"""Probes and the metrics exposition; plain Django views, outside the public API."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from observability.access import metrics_allowed
from observability.health import readiness
from observability.metrics import exposition


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no dependency, so a database outage does
    not get healthy workers restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ready, checks = readiness()
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {name: result.as_dict() for name, result in checks.items()},
        },
        status=200 if ready else 503,
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return JsonResponse(
            {"error": {"code": "permission_denied", "message": "Forbidden.", "fields": {}}},
            status=403,
        )
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
