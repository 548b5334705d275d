"""The API's one JSON parser (public and staff endpoints): a malformed body is a 400, an
oversize one a 413, and so is a body no endpoint takes: a top-level value that is not an
object, a string that is not valid Unicode text (a lone surrogate, NUL) or a number that
is not finite or beyond 2^53, any of which would be stored and break later reads. A view
that checks these per item of a batch (events: one bad event is rejected in the report,
the rest kept) sets `validates_each_item`."""

import json
from typing import Any

from django.conf import settings
from django.http.request import RawPostDataException
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from core.api.errors import PayloadTooLarge
from core.client_input import find_unstorable
from core.errors import Invalid


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class SafeJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        view = (parser_context or {}).get("view")
        # A view may take larger bodies (`PUT /products`: 1,000 products, up to 10 MiB).
        limit = getattr(view, "max_body_bytes", None) or settings.PZ_MAX_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            if declared and int(declared) > limit:
                raise PayloadTooLarge()
        except ValueError as exc:
            raise ParseError("Invalid Content-Length header.") from exc
        try:
            body = stream.read(limit + 1) if stream is not None else b""
        except RawPostDataException as exc:
            raise ParseError("The body could not be read.") from exc
        if len(body) > limit:
            raise PayloadTooLarge()
        try:
            data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Body is not valid JSON: {str(exc)[:200]}") from exc
        except RecursionError as exc:
            raise ParseError("Body is nested too deeply.") from exc
        if not isinstance(data, dict):
            raise Invalid("The body must be a JSON object.", {"body": "must be an object"})
        if not getattr(view, "validates_each_item", False):
            found = find_unstorable(data, path="")
            if found is not None:
                raise Invalid(*_field_error(*found))
        return data


def _field_error(path: str, reason: str) -> tuple[str, dict[str, str]]:
    """The message and `fields` of an unstorable value: the field is the body's top-level
    key and the path inside it leads the reason, as rule errors name their node
    (`{"rule": "any[1].value: ..."}`)."""
    path = path.lstrip(".")
    field, _, inner = path.partition(".")
    if "[" in field:  # a top-level list: "items[3].price"
        field, bracket, rest = field.partition("[")
        inner = f"[{rest}" + (f".{inner}" if inner else "")
    detail = f"{inner}: {reason}" if inner else reason
    return f"{field}: {detail}.", {field: detail}
