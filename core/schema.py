"""How the OpenAPI schema describes the callers of the public endpoints."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ServerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.ServerKeyAuthentication"
    name = ["serverKey", "visitorToken", "visitorCookie"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The shop's backend (`pz_sk_…`): acts for any visitor_id.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Pz-Visitor",
                "description": "An app's visitor token (`visitor_token` of an earlier "
                "response): acts for that visitor only.",
            },
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "pz_vid",
                "description": "A browser's signed visitor cookie: acts for that visitor only.",
            },
        ]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        # No credentials at all: the server mints a visitor for the caller.
        return [{"serverKey": []}, {"visitorToken": []}, {"visitorCookie": []}, {}]
