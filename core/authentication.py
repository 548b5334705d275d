"""DRF authentication and permission of the public endpoints (API.md "Callers and
identity"): one class recognises server keys, one permission binds every other caller
to its own visitor. Views name the visitors a request asks for in
`requested_visitor_ids`."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from core.callers import Caller, browser_caller
from core.client_input import is_visitor_id
from core.selectors import ActiveServerKey, active_server_key
from core.services import note_server_key_used


class ServerKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer pz_sk_…`: the shop's backend. The user stays anonymous (a
    server key is no staff member); the key is `request.auth`. Without the header the
    request is a browser caller; a wrong or revoked key is a 401."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ActiveServerKey] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != b"bearer":
            return None
        server_key = active_server_key(words[1].decode("latin-1")) if len(words) == 2 else None
        if server_key is None:
            raise AuthenticationFailed("Invalid or revoked server key.")
        note_server_key_used(server_key.id)
        request._request.pz_server_key = server_key  # the visitor cookie is not for it
        return AnonymousUser(), server_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="pz"'


def request_caller(request: Request) -> Caller:
    if isinstance(request.auth, ActiveServerKey):
        return Caller(server_key=request.auth)
    return browser_caller(request._request)


class ActsForOwnVisitor(BasePermission):
    """Server callers act for any visitor; a browser caller only for its own visitor or
    an id stitched to it. Nothing is read or stored for a refused request."""

    message = (
        "This caller may act only for its own visitor (the pz_vid cookie or the "
        "X-Pz-Visitor token); the shop's backend uses a server key."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        caller = request_caller(request)
        if caller.is_server:
            return True
        requested: Iterable[Any] = getattr(view, "requested_visitor_ids", lambda r: ())(request)
        if all(caller.may_act_for(v) for v in {v for v in requested if is_visitor_id(v)}):
            return True
        # A 403, not DRF's 401 for callers without credentials: the cookie is the credential.
        raise PermissionDenied(self.message)
