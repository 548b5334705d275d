"""What the profile cache holds for a visitor, typed: their profile state, their own
consent choices and the id experiments bucket them by. Pure (no Django), so rules,
triggers and decide read the same object the cache stores.
"""

from dataclasses import dataclass
from typing import Any, Literal

from tracking.profile_state import ProfileState

Purpose = Literal["tracking", "personalization"]
PURPOSES: tuple[Purpose, ...] = ("tracking", "personalization")


@dataclass(frozen=True, slots=True)
class Consent:
    """Effective consent per purpose: the visitor's choice, else the site default."""

    tracking: bool
    personalization: bool

    def allows(self, purpose: str) -> bool:
        return bool(getattr(self, purpose))

    def as_dict(self) -> dict[str, bool]:
        return {purpose: self.allows(purpose) for purpose in PURPOSES}


NO_CONSENT = Consent(tracking=False, personalization=False)


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """A known visitor as cached under their canonical id. `choices` are their own
    consent answers (None: not answered, the site default applies)."""

    state: ProfileState
    tracking_choice: bool | None
    personalization_choice: bool | None
    bucketing_id: str
    marketing_email_choice: bool | None = None
    marketing_email_confirmed: bool = False
    marketing_email_address: str = ""

    @property
    def visitor_id(self) -> str:
        return self.state.visitor_id

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # As ProfileState's: the constructor's arguments, by position (new fields go last;
        # an older pickle's state still loads).
        return (type(self), tuple(getattr(self, name) for name in self.__match_args__))

    def consent(self, default: dict[str, bool]) -> Consent:
        return Consent(
            tracking=_choice(self.tracking_choice, default["tracking"]),
            personalization=_choice(self.personalization_choice, default["personalization"]),
        )


def _choice(answer: bool | None, default: bool) -> bool:
    return bool(default) if answer is None else answer
