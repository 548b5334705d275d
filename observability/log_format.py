"""JSON log lines (stdlib logging) that carry the request id and never a raw IP address
or a visitor's data: IP-like strings and visitor ids in paths are masked, and extras
that could hold personal data (the request object, addresses, ids) are dropped."""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from observability.request_id import current_request_id

_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(
    r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){0,6}:(?::?[0-9A-Fa-f]{1,4}){0,6})(?![\w:])"
)
_VISITOR_PATH = re.compile(r"(/visitors/)[^/\s?\"']+")
# Extras never written: objects and fields that can carry personal data.
DROPPED_EXTRAS = frozenset(
    {
        "request",
        "ip",
        "remote_addr",
        "client_ip",
        "email",
        "visitor_id",
        "customer_id",
        "user_id",
        "session_id",
        "phone",
        "address",
    }
)
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    text = _IPV4.sub("[ip]", text)
    text = _IPV6.sub(
        lambda m: "[ip]" if "::" in m.group() or m.group().count(":") == 7 else m.group(), text
    )
    return _VISITOR_PATH.sub(r"\1[id]", text)


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS or key in DROPPED_EXTRAS or key.startswith("_"):
                continue
            entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
