"""pz's URLs, for pz's own project and for any site that adds pz (README "Add pz to an
existing Wagtail site"): the API under api/v1/ and the health and metrics probes. Apps are
named by string: core imports none of them."""

from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api.errors import not_found

api_v1: list[URLPattern | URLResolver] = [
    path("", include("tracking.api.urls")),
    path("", include("segments.api.urls")),
    path("", include("personalization.api.urls")),
    path("", include("recommendations.api.urls")),
    path("", include("experiments.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("insights.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    # Any other /api/ URL is the API's JSON 404 here, before a site's catch-all (Wagtail's
    # pages at "") could match it or APPEND_SLASH redirect it; it changes nothing, so no
    # CSRF check (a POST to an unknown URL is a 404, not an HTML 403).
    re_path(r"^api/", csrf_exempt(not_found)),
    path("", include("observability.urls")),  # /healthz /readyz /metrics
    path("", include("triggers.urls")),  # e-mail unsubscribe, opens, clicks, ESP webhooks
]
