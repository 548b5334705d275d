"""Content-Security-Policy on every HTML page: the storefront's strict policy (our own
static scripts and styles only), and the admins' own policy.

The Wagtail and Django admins run our and Wagtail's static scripts, so scripts stay
'self' there too: an editor's text that slipped into a page as markup cannot run. A few
Wagtail widgets (page, snippet and date choosers) still start with an inline call such
as `new SnippetChooser("id_popup", {...});`; each inline script of a response that is
exactly such a call (a known initializer, an element id, options that parse as JSON) is
allowed by its hash, and nothing else inline is. Styles allow 'unsafe-inline' in the
admin only, because Wagtail's editors (Draftail, StreamField) set style attributes;
images may come from data: and blob: URLs (previews of uploads); no Gravatar (settings
turn it off). The Swagger page loads its assets from a CDN and keeps no policy of ours
(`PZ_CSP_EXCLUDE_PREFIXES`).
"""

import base64
import hashlib
import json
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)
WIDGET_INITIALIZER = re.compile(
    r"\s*(?:new (?:PageChooser|SnippetChooser|DocumentChooser|ImageChooser|TaskChooser)"
    r"|initDateChooser|initDateTimeChooser|initTimeChooser)"
    r'\("[A-Za-z0-9_-]{1,200}"(?:, (?P<options>\{.*\}|null))?\);?\s*',
    re.DOTALL,
)


def _is_widget_initializer(body: str) -> bool:
    match = WIDGET_INITIALIZER.fullmatch(body)
    if match is None:
        return False
    try:
        options = json.loads(match.group("options") or "null")
    except ValueError:
        return False
    return options is None or isinstance(options, dict)


def widget_script_hashes(html: str) -> list[str]:
    """CSP hash sources of the inline scripts in `html` that are Wagtail widget
    initializers (data blocks and scripts with a `src` need none)."""
    hashes = []
    for match in INLINE_SCRIPT.finditer(html):
        attrs, body = match.group("attrs"), match.group("body")
        if "src=" in attrs or "application/json" in attrs or not body.strip():
            continue
        if _is_widget_initializer(body):
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return sorted(set(hashes))


def with_script_hashes(policy: str, hashes: list[str]) -> str:
    if not hashes:
        return policy
    return policy.replace("script-src 'self'", "script-src 'self' " + " ".join(hashes), 1)


def policy_for(path: str, content_type: str) -> str:
    """The policy of a response, or "" for none (not HTML, or an excluded path)."""
    if "text/html" not in content_type or path.startswith(tuple(settings.PZ_CSP_EXCLUDE_PREFIXES)):
        return ""
    if path.startswith(tuple(settings.PZ_CSP_ADMIN_PREFIXES)):
        return settings.PZ_CSP_ADMIN_POLICY
    return settings.PZ_CSP_POLICY


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = policy_for(request.path, response.get("Content-Type", ""))
        if policy and policy is settings.PZ_CSP_ADMIN_POLICY and not response.streaming:
            html = response.content.decode(response.charset or "utf-8", "replace")
            policy = with_script_hashes(policy, widget_script_hashes(html))
        if policy:
            header = (
                "Content-Security-Policy-Report-Only"
                if settings.PZ_CSP_REPORT_ONLY
                else "Content-Security-Policy"
            )
            response.headers.setdefault(header, policy)
        return response
