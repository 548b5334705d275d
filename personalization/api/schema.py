"""OpenAPI schema hooks: the public schema describes pz's own API only."""

from typing import Any


def only_pz_api(
    endpoints: list[tuple[str, str, str, Any]], **_: Any
) -> list[tuple[str, str, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
