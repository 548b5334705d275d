"""OpenAPI schema hooks: the public schema describes pz's own API only, errors included."""

from typing import Any

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
