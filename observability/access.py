"""Who may read /metrics: a client on the allow-list or one presenting the metrics token."""

import hmac

from django.conf import settings
from django.http import HttpRequest


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.PZ_METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "")
        if hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return True
    return request.META.get("REMOTE_ADDR", "") in settings.PZ_METRICS_ALLOWED_IPS
