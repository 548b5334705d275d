"""Identity tokens for the signed-in customers of a Django shop (`{% pz_identity_token %}`)."""

from typing import Any

from django.conf import settings

from core import clock
from core.identity_tokens import make_identity_token


def identity_token_for(user: Any, *, now: float | None = None) -> str:
    """The token that lets this customer's browser send a `login` (API.md "Callers and
    identity"): their customer id is the user attribute named by PZ_CUSTOMER_ID_ATTR.
    Empty for anonymous users and users without one."""
    if not getattr(user, "is_authenticated", False):
        return ""
    customer_id = getattr(user, settings.PZ_CUSTOMER_ID_ATTR, None)
    if customer_id is None or str(customer_id) == "":
        return ""
    return make_identity_token(
        str(customer_id),
        secret=settings.PZ_IDENTITY_SECRET,
        now=clock.now().timestamp() if now is None else now,
    )
