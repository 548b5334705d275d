"""A JSON parser that turns every malformed body into a 400 and an oversize one into a 413."""

import json
from typing import Any

from django.conf import settings
from django.http.request import RawPostDataException
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from personalization.api.errors import PayloadTooLarge


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class SafeJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        limit = settings.PZ_MAX_BODY_BYTES
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
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Body is not valid JSON: {str(exc)[:200]}") from exc
        except RecursionError as exc:
            raise ParseError("Body is nested too deeply.") from exc
