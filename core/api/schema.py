"""The OpenAPI schema: it describes pz's own API only, errors included, and the callers of
the public endpoints (server keys, visitor tokens and cookies)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_ENVELOPE = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {}},
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}


def only_pz_api(
    endpoints: list[tuple[str, str, str, Any]], **_: Any
) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def document_errors(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """Every operation may answer 4xx with the one error envelope (API.md's contract);
    views only spell out the codes worth a word, this adds the rest as `4XX`."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorEnvelope", ERROR_ENVELOPE)
    ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            operation.setdefault("responses", {}).setdefault(
                "4XX",
                {
                    "description": "Bad input, authentication, not found, conflict, "
                    "body too large or rate limited",
                    "content": {"application/json": {"schema": ref}},
                },
            )
    return result


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
