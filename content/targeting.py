"""Choosing a placement's variant: pure functions over compiled targets, no Django."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from content import reasons
from content.reasons import DecisionReason
from segments.conditions import CompiledRule, Facts


@dataclass(frozen=True)
class VariantTarget:
    key: str
    component_id: int
    priority: int
    order: int
    is_fallback: bool
    segments_any: frozenset[str] = frozenset()
    segments_all: frozenset[str] = frozenset()
    segments_none: frozenset[str] = frozenset()
    context_rule: CompiledRule | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def scheduled(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    def public(self) -> dict[str, Any]:
        """What anonymous callers of GET /placements may see."""
        return {"key": self.key, "fallback": self.is_fallback}

    def described(self) -> dict[str, Any]:
        """What staff see: the target too."""
        return {
            **self.public(),
            "priority": self.priority,
            "segments": sorted(self.segments_any),
            "segments_all": sorted(self.segments_all),
            "segments_none": sorted(self.segments_none),
            "has_context_rule": self.context_rule is not None,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


def ordered(variants: Sequence[VariantTarget]) -> tuple[VariantTarget, ...]:
    """Highest priority first; the editor's order breaks ties."""
    return tuple(sorted(variants, key=lambda v: (-v.priority, v.order)))


def choose_variant(
    variants: Sequence[VariantTarget], segments: frozenset[str], facts: Facts, now: datetime
) -> tuple[VariantTarget | None, DecisionReason]:
    """The first matching scheduled variant by priority, else the fallback; with the reason
    the decision reports (a segment, all of several segments, the context, the default or
    the fallback)."""
    for variant in variants:
        if variant.is_fallback or not variant.scheduled(now):
            continue
        matched_any = variant.segments_any & segments
        if variant.segments_any and not matched_any:
            continue
        if variant.segments_all and not variant.segments_all <= segments:
            continue
        if variant.segments_none & segments:
            continue
        if variant.context_rule is not None and not variant.context_rule(facts):
            continue
        if matched_any:
            return variant, DecisionReason.segment(min(matched_any))
        if variant.segments_all:
            return variant, DecisionReason.all_segments(variant.segments_all)
        if variant.context_rule is not None:
            return variant, reasons.CONTEXT
        return variant, reasons.DEFAULT
    return fallback_variant(variants), reasons.FALLBACK


def fallback_variant(variants: Sequence[VariantTarget]) -> VariantTarget | None:
    """The placement's fallback: what visitors nothing matched, and the global holdout, see."""
    return next((v for v in variants if v.is_fallback), None)
