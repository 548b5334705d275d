"""Content-Security-Policy on storefront pages: scripts and styles from our own static
files only. The Wagtail and Django admins (and the Swagger page) need inline code and
keep their own policies, so their paths are left alone."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def csp_applies(path: str, content_type: str) -> bool:
    return "text/html" in content_type and not path.startswith(
        tuple(settings.PZ_CSP_EXCLUDE_PREFIXES)
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.PZ_CSP_POLICY
        if policy and csp_applies(request.path, response.get("Content-Type", "")):
            header = (
                "Content-Security-Policy-Report-Only"
                if settings.PZ_CSP_REPORT_ONLY
                else "Content-Security-Policy"
            )
            response.headers.setdefault(header, policy)
        return response
