"""Client input every endpoint shares, and what pz can store of it: pure functions, no
Django. Visitor ids and session ids have one syntax everywhere (the cookie, the API, the
events); a JSON value pz stores must survive every later read (SafeJSONParser rejects a
body holding one that would not, event validation rejects the event)."""

import math
import re

VISITOR_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
SESSION_ID_RE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
# A request context's strings (URL, referrer, ...) are kept up to this length.
MAX_CONTEXT_STRING = 2048
# Any number pz stores is at most 2^53 in magnitude (exact as a float and in JavaScript).
MAX_ABS_NUMBER = 2**53
# Lone UTF-16 surrogates (JSON "\ud800") cannot be encoded as UTF-8 and NUL cannot be
# stored by PostgreSQL: a string holding either breaks every later read of it.
_INVALID_TEXT_RE = re.compile("[\x00\ud800-\udfff]")
INVALID_TEXT = "must be valid Unicode text (no lone surrogates or NUL characters)"


def is_visitor_id(value: object) -> bool:
    return isinstance(value, str) and VISITOR_ID_RE.fullmatch(value) is not None


def invalid_text(value: str) -> bool:
    """True for a string holding a lone surrogate or NUL (cheap for ASCII text)."""
    if value.isascii():
        return "\x00" in value
    return _INVALID_TEXT_RE.search(value) is not None


def shown(value: object, limit: int = 32) -> str:
    """Client input as it may appear in an error message: cut, invalid text escaped."""
    return str(value)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def find_unstorable(value: object, path: str = "body") -> tuple[str, str] | None:
    """The first value in parsed JSON that no read could survive, as (path, reason): a
    string or key that is not valid Unicode text, a number that is not finite or beyond
    2^53 in magnitude. None when there is none."""
    if isinstance(value, str):
        return (path, INVALID_TEXT) if invalid_text(value) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value) or abs(value) > MAX_ABS_NUMBER:
            return path, f"must be a finite number of at most {MAX_ABS_NUMBER} in magnitude"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if invalid_text(key):
                return f"{path}.{shown(key)}", INVALID_TEXT
            found = find_unstorable(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for position, item in enumerate(value):
            found = find_unstorable(item, f"{path}[{position}]")
            if found:
                return found
    return None
