"""pz's URLs, for pz's own project and for any site that adds pz (README "Add pz to an
existing Wagtail site"): the API under api/v1/ and the health and metrics probes. Apps are
named by string: core imports none of them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("tracking.api.urls")),
    path("", include("segments.api.urls")),
    path("", include("personalization.api.urls")),
    path("", include("recommendations.api.urls")),
    path("", include("experiments.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("insights.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("observability.urls")),  # /healthz /readyz /metrics
    path("", include("triggers.urls")),  # e-mail unsubscribe, opens, clicks, ESP webhooks
]
