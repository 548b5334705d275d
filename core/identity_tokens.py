"""Identity tokens: how a shop's backend vouches that a browser belongs to a customer
(API.md "Callers and identity"). Pure functions, no Django.

A token is `<user_id>.<unix time>.<lowercase hex HMAC-SHA256(secret, "<user_id>.<unix time>")>`;
it is read from the right because customer ids may contain dots.
"""

import hashlib
import hmac

MAX_AGE_SECONDS = 10 * 60
MAX_FUTURE_SECONDS = 60


def _signature(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def make_identity_token(user_id: str, *, secret: str, now: float) -> str:
    """A token saying "this browser is customer `user_id`", valid for ten minutes."""
    message = f"{user_id}.{int(now)}"
    return f"{message}.{_signature(secret, message)}"


def identity_token_error(token: object, user_id: str, *, secret: str, now: float) -> str | None:
    """Why `token` does not prove `user_id` at `now` (a reason for the client), or None
    when it does. The signature is compared in constant time."""
    if not isinstance(token, str) or not token or len(token) > 512:
        return "is required to identify a customer from a browser"
    parts = token.rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit():
        return "is not an identity token"
    token_user, issued, signature = parts
    expected = _signature(secret, f"{token_user}.{issued}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "has an invalid signature"
    if not hmac.compare_digest(token_user.encode(), str(user_id).encode()):
        return "was issued for another user_id"
    age = now - int(issued)
    if age > MAX_AGE_SECONDS:
        return "has expired"
    if age < -MAX_FUTURE_SECONDS:
        return "is issued in the future"
    return None
