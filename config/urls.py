from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from core.api.errors import not_found

api_v1 = [
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
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include(api_v1)),
    # Any other /api/ URL is the API's JSON 404, not a page lookup (Wagtail serves "").
    # CSRF-exempt like the API views: a logged-in caller's PATCH gets the JSON 404, not
    # Django's HTML CSRF page (it changes nothing).
    re_path(r"^api/", csrf_exempt(not_found)),
    path("", include("observability.urls")),  # /healthz /readyz /metrics
    path("", include("triggers.urls")),  # e-mail unsubscribe, opens, clicks, ESP webhooks
    path("", include("storefront.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves the site's pages at the shop's own URLs (`/` is the HomePage, landings
# and campaigns below it); the storefront's Django views above keep theirs.
urlpatterns += [path("", include(wagtail_urls))]

# JSON error bodies under /api/ (API.md), the site's own pages elsewhere.
handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"
