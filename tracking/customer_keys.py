"""Customer ids from logins and CRM imports are only ever stored as a keyed hash."""

import hashlib
import hmac


def customer_key(customer_id: str, pepper: str) -> str:
    """HMAC-SHA256 of the shop's customer id: matchable, not reversible without the pepper."""
    return hmac.new(pepper.encode(), str(customer_id).strip().encode(), hashlib.sha256).hexdigest()


def known_visitor_id(key: str) -> str:
    """The visitor id of a known customer created outside a browser (CRM import, replay)."""
    return f"k{key[:40]}"
