"""The global holdout: `PZ_GLOBAL_HOLDOUT_SHARE` of visitors, by a stable hash of their
bucketing id, see no personalization at all (every placement's fallback, popularity-only
recommendations, no triggers, no experiments). Comparing them with everyone else is how
pz measures what personalization earns (insights). Visitors who did not allow
personalization are in neither group: they never see personalized content anyway.

Lives in core so that decide, experiments and triggers read one definition."""

from enum import StrEnum

from django.conf import settings

from core.bucketing import in_share


class Group(StrEnum):
    PERSONALIZED = "personalized"
    HOLDOUT = "holdout"


def in_global_holdout(bucketing_id: str | None) -> bool:
    """Whether this bucketing id falls in the global holdout (consent aside)."""
    if not bucketing_id:
        return False
    return in_share(
        settings.PZ_GLOBAL_HOLDOUT_SHARE, "holdout", settings.PZ_GLOBAL_HOLDOUT_SEED, bucketing_id
    )


def holdout_group(bucketing_id: str | None, *, personalization: bool) -> Group | None:
    """The measurement group of a visitor: None without personalization consent."""
    if not personalization or not bucketing_id:
        return None
    return Group.HOLDOUT if in_global_holdout(bucketing_id) else Group.PERSONALIZED
