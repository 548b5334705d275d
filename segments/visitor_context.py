"""The visitor a request is for, typed, as every app above `segments` reads it: decide,
content targeting, experiments, trigger pop-ups and recommendations.

Built once per request by `segments.selectors.visitor_context` (or per decide call for
headless clients). Pure: no Django, so it is cheap to build and easy to fake in tests.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from segments.conditions import Facts
from tracking.profile_entry import NO_CONSENT, Consent, ProfileEntry


@dataclass(frozen=True, slots=True)
class VisitorContext:
    """Who the request is for and what is known about them.

    `profile` is set only when the visitor allows personalization (it is then the cached
    profile: state, consent choices, bucketing id); `consent` is effective consent, the
    site default for a visitor never seen. `segments` are every segment the visitor is in
    for this request, `targetable` those content may target. `facts` are what the rules
    read (profile, attributes, recent events, `request` context), reused by content
    targeting; `config_version` is the configuration the request is decided under, so
    every catalog read agrees."""

    visitor_id: str | None
    facts: Facts
    canonical_id: str | None = None
    bucketing_id: str | None = None
    profile: ProfileEntry | None = None
    consent: Consent = NO_CONSENT
    segments: tuple[str, ...] = ()
    targetable: tuple[str, ...] = ()
    placeholder_values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    config_version: Any = None
    degraded: bool = False  # an outage left no segments: fallback content, never an error

    @property
    def personalized(self) -> bool:
        """False when consent limits the decision to the request context."""
        return self.profile is not None

    @property
    def request(self) -> Mapping[str, Any]:
        """The request context rules read (device, country, path, local time, ...)."""
        return self.facts.context
