"""Per-client fixed-window rate limits on public endpoints, counted in the cache."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

WINDOW_SECONDS = 60


def client_fingerprint(request: Request) -> str:
    """A hash of the client address: the raw IP is never stored, even in the cache."""
    address = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()[:24]


class PublicEndpointThrottle(BaseThrottle):
    """Limit from `PZ_RATE_LIMITS[view.throttle_scope]` requests per minute; 0 disables.

    If the cache is unreachable the request is allowed: rate limiting degrades, the API
    keeps answering.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope = getattr(view, "throttle_scope", "")
        limit = settings.PZ_RATE_LIMITS.get(scope, 0)
        if not limit:
            return True
        window = int(time.time() // WINDOW_SECONDS)  # noqa: TID251 - rate-limit window
        key = f"ratelimit:{scope}:{client_fingerprint(request)}:{window}"
        try:
            cache.add(key, 0, WINDOW_SECONDS + 5)
            count = cache.incr(key)
        except ValueError:
            return True
        self._retry_after = WINDOW_SECONDS - int(time.time()) % WINDOW_SECONDS  # noqa: TID251
        return count is None or count <= limit

    def wait(self) -> float | None:
        return getattr(self, "_retry_after", WINDOW_SECONDS)
