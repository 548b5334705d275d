"""Who calls a public endpoint and for which visitors it may act (API.md "Callers and
identity").

- A browser or app acts for one visitor: the one named by its signed `pz_vid` cookie or
  by the same signed value in the `X-Pz-Visitor` header (the header wins), or a visitor
  minted for it. It may also name an id stitched to that visitor (a login's alias).
- The shop's backend, calling with a server key, acts for any visitor.

Resolving a browser caller costs one HMAC and no query; a server key one cache read.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from core.client_input import is_visitor_id
from core.selectors import ActiveServerKey

VISITOR_HEADER = "X-Pz-Visitor"
COOKIE_SALT = "pz.visitor"


def _signer() -> signing.Signer:
    # The signer of Django's signed cookies, so the cookie and the token are one value.
    return signing.get_cookie_signer(salt=settings.PZ_VISITOR_COOKIE + COOKIE_SALT)


def visitor_token(visitor_id: str) -> str:
    """The signed value of the `pz_vid` cookie, also the `X-Pz-Visitor` token."""
    return _signer().sign(visitor_id)


def visitor_of_token(token: str | None) -> str | None:
    """The visitor a token names, or None if it is missing, tampered or malformed."""
    if not token or len(token) > 256:
        return None
    try:
        visitor_id = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return visitor_id if is_visitor_id(visitor_id) else None


# Stitching (which ids are one visitor) is tracking's: it registers its resolver in
# TrackingConfig.ready(). Until then only equal ids are one visitor.
_canonical_visitor: Callable[[str], str] | None = None


def register_visitor_resolver(resolve: Callable[[str], str]) -> None:
    """Set the function mapping a visitor id to its canonical (stitched) id."""
    global _canonical_visitor
    _canonical_visitor = resolve


def same_visitor(a: str, b: str) -> bool:
    """Whether two visitor ids are one visitor (equal, or stitched to one canonical id)."""
    if a == b:
        return True
    resolve = _canonical_visitor
    return resolve is not None and resolve(a) == resolve(b)


@dataclass(frozen=True, slots=True)
class Caller:
    visitor_id: str | None = None  # a browser's own visitor
    visitor_token: str | None = None
    server_key: ActiveServerKey | None = None

    @property
    def is_server(self) -> bool:
        return self.server_key is not None

    def may_act_for(self, visitor_id: str) -> bool:
        if self.is_server or visitor_id == self.visitor_id:
            return True
        return self.visitor_id is not None and same_visitor(visitor_id, self.visitor_id)

    def visitor_for(self, requested: str | None) -> str | None:
        """The visitor a request acts for: the one it names (checked by the permission),
        else a browser's own; a server caller must name one."""
        return requested or (None if self.is_server else self.visitor_id)

    def identity(self) -> dict[str, Any]:
        """What a browser caller learns about itself in a public response's body."""
        if self.is_server or self.visitor_id is None:
            return {}
        return {"visitor_id": self.visitor_id, "visitor_token": self.visitor_token}


def browser_caller(request: HttpRequest) -> Caller:
    """The caller the visitor middleware resolved for a request (no server key)."""
    return Caller(
        visitor_id=getattr(request, "pz_visitor_id", None),
        visitor_token=getattr(request, "pz_visitor_token", None),
    )
