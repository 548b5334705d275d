from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # The API under api/v1/, /healthz /readyz /metrics, e-mail unsubscribe, opens, clicks.
    path("", include("core.urls")),
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
