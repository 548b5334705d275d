"""Who among staff may do what, shared by the admin screens and the staff API.

One permission says who may see individual visitors ("can view visitor data"):
`VISITOR_DATA_PERMISSION`, the view permission of the visitor profile. Without it a
role (Analysts) sees aggregates only: no member lists, no test-fire for a visitor, and
counts below `PZ_MIN_SEGMENT_SIZE` suppressed (`visible_count`), so a rule such as
"e-mail = X and revenue > N" is no oracle about one person.
"""

from typing import Any

from django.conf import settings
from django.db import models

VISITOR_DATA_PERMISSION = "tracking.view_visitorprofile"
# Contact data (e-mail addresses in audience exports) goes further than pseudonymous
# visitor ids: only roles that may change visitor profiles (administrators) get it.
CONTACT_DATA_PERMISSION = "tracking.change_visitorprofile"


def permission_codename(model: type[models.Model], action: str) -> str:
    """`app_label.action_modelname`, the form `User.has_perm` expects."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def can_view_visitor_data(user: Any) -> bool:
    """May this user see individual visitors (ids, e-mail, names, members)?"""
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(VISITOR_DATA_PERMISSION)
    )


def can_view_contact_data(user: Any) -> bool:
    """May this user see customers' e-mail addresses (audience exports)?"""
    return can_view_visitor_data(user) and user.has_perm(CONTACT_DATA_PERMISSION)


def visible_count(count: int | None, user: Any) -> tuple[int | None, bool]:
    """A count of visitors as this user may see it: `(count, False)`, or `(None, True)`
    when it is below PZ_MIN_SEGMENT_SIZE and the user may not see visitor data."""
    if count is None or count >= settings.PZ_MIN_SEGMENT_SIZE or can_view_visitor_data(user):
        return count, False
    return None, True
