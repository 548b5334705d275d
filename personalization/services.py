"""The personalization decision: which variant of each placement a visitor sees, and why.

Server-rendered pages (template tags + middleware) and headless clients (`POST
/api/v1/decide`) both call `decide`, so they can never disagree. Any failure of the
cache or the database degrades to fallback content; a page is never broken by it.
"""

import hashlib
import json
import logging
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from content import reasons
from content.placeholders import visitor_values
from content.placement_catalog import PlacementConfig, component_for_locale, placement_catalog
from content.reasons import DecisionReason
from content.rendering import Fragment, Skeleton, fill_skeleton, render_component, render_skeleton
from content.targeting import VariantTarget, choose_variant, fallback_variant
from core import clock
from core.cache_reads import decision_reads
from core.config_version import CONFIG_VERSION_KEY, ensure_version
from core.holdout import in_global_holdout
from experiments.selectors import Assignment, assignments_for, experiment_catalog
from experiments.services import record_exposures
from personalization.placement_sources import external_placements
from recommendations.serving import recommend_for_visitor
from segments.conditions import Facts
from segments.selectors import visitor_context
from segments.visitor_context import VisitorContext
from triggers.selectors import pending_onsite_component
from triggers.services import onsite_message_shown

logger = logging.getLogger(__name__)
MAX_PLACEMENTS_PER_DECISION = 20
VISITOR = "visitor."  # the placeholders of the visitor's own data (`visitor_values`)
FRAGMENT_TTL_SECONDS = 60 * 60


@dataclass
class PlacementDecision:
    placement: str
    component: str
    variant: str
    reason: DecisionReason
    kind: str
    html: str
    data: dict[str, Any]
    items: list[dict[str, Any]] | None = None
    experiment: dict[str, str] | None = None

    def as_response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "component": self.component,
            "variant": self.variant,
            "reason": self.reason.label,
            "kind": self.kind,
            "html": self.html,
            "data": self.data,
        }
        if self.items is not None:
            body["items"] = self.items
        if self.experiment is not None:
            body["experiment"] = self.experiment
        return body


@dataclass(frozen=True, slots=True)
class ChosenVariant:
    """One placement's variant and component, chosen and waiting to be rendered."""

    placement: str
    variant: VariantTarget
    reason: DecisionReason
    component: Any
    values: dict[str, Any]
    items: list[dict[str, Any]] | None = None
    fragment_key: str | None = None  # None: shows the visitor's own data, never cached
    experiment: dict[str, str] | None = None
    # A fragment showing the visitor's own data: its skeleton (their values left out) is
    # what the shared cache may hold.
    skeleton_key: str | None = None


@dataclass
class Decision:
    visitor_id: str | None
    segments: list[str]
    placements: dict[str, PlacementDecision | None]
    personalized: bool = False
    degraded: bool = False
    holdout: bool = False  # in the global holdout: fallbacks, popular items, no triggers
    notes: list[str] = field(default_factory=list)

    def as_response(self) -> dict[str, Any]:
        return {
            "visitor_id": self.visitor_id,
            "segments": self.segments,
            "placements": {
                key: decision.as_response() if decision else None
                for key, decision in self.placements.items()
            },
            "personalized": self.personalized,
            "degraded": self.degraded,
        }


def visitor_context_for(
    visitor_id: str | None, context: dict[str, Any], now: datetime, forced: list[str] | None
) -> VisitorContext:
    """The visitor's context for this request: staff previews use the forced segments
    (and track nothing); an outage gives a `degraded` one without segments, never an
    error."""
    if forced is not None:
        facts = Facts(context=context, segments=frozenset(forced))
        # The current version, so a preview right after an edit shows the edit (without
        # one the compiled placement catalog is reused for up to 30 s).
        return VisitorContext(
            visitor_id=visitor_id,
            facts=facts,
            segments=tuple(forced),
            targetable=tuple(forced),
            config_version=ensure_version(cache.get(CONFIG_VERSION_KEY)),
        )
    try:
        return visitor_context(visitor_id, context, now=now)
    except (DatabaseError, ConnectionError, TimeoutError, OSError):
        logger.warning("segments unavailable; deciding with fallback content", exc_info=True)
        return VisitorContext(visitor_id=visitor_id, facts=Facts(context=context), degraded=True)


def _placeholder_values(
    visitor: VisitorContext, reason: DecisionReason, context: dict[str, Any], block_value: Any
) -> dict[str, Any]:
    """The values a component's placeholders resolve to. `segment.*` come from the segments
    that chose the variant, else from the first of the visitor's own segments with values
    (an experiment arm or the fallback names no segment)."""
    attributes: dict[str, Any] = {}
    if visitor.profile is not None:
        attributes = dict(visitor.profile.state.attributes)
    values: dict[str, Any] = visitor_values(attributes, context, shop_name=settings.PZ_SHOP_NAME)
    with_values = list(reason.segments)
    with_values += sorted(k for k in visitor.targetable if visitor.placeholder_values.get(k))
    for key in with_values:
        extra = visitor.placeholder_values.get(key) or {}
        if extra:
            values["segment.name"] = extra.get("name") or key
            values["segment.discount_code"] = extra.get("discount_code")
            break
    if hasattr(block_value, "get"):
        values["offer.percent"] = block_value.get("percent")
        values["offer.code"] = block_value.get("code")
        expires = block_value.get("expires_at")
        values["offer.expires"] = expires.strftime("%-d %B %Y") if expires else None
    return values


def _fragment_key(component: Any, placement: str, variant: str, payload: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[
        :24
    ]
    revision = component.live_revision_id or int(component.updated_at.timestamp())
    return f"fragment:{component.pk}:{revision}:{placement}:{variant}:{digest}"


def uses_visitor_tokens(component: Any) -> bool:
    """Whether the component's text has `visitor.*` placeholders (memoized per revision)."""
    memo_key = (component.pk, component.live_revision_id, component.updated_at)
    if memo_key not in _VISITOR_TOKEN_MEMO:
        raw = json.dumps(component.body.get_prep_value(), default=str)
        _VISITOR_TOKEN_MEMO[memo_key] = "visitor." in raw
    return _VISITOR_TOKEN_MEMO[memo_key]


_VISITOR_TOKEN_MEMO: dict[tuple[Any, ...], bool] = {}


def recommendation_items(
    *, strategy: str, count: int, visitor_id: str | None, context: dict[str, Any]
) -> list[dict[str, Any]]:
    """Items for a recommendation carousel (the recommender serves them from cache)."""
    return recommend_for_visitor(
        strategy=strategy,
        k=count,
        visitor_id=visitor_id,
        product_id=context.get("product_id"),
        context=context,
    )


# Cache reads gathered: the first one also reads ahead what later steps need.
@decision_reads()
def decide(
    *,
    visitor_id: str | None,
    placement_keys: list[str],
    context: dict[str, Any],
    now: datetime | None = None,
    locale: str | None = None,
    forced_segments: list[str] | None = None,
    evaluated: VisitorContext | None = None,
    extra_placements: Mapping[str, PlacementConfig] | None = None,
) -> Decision:
    """Decide every requested placement in one pass: segments once, then per placement the
    first matching variant by priority (or the fallback), rendered through the fragment
    cache. Unknown placements come back as None. `evaluated` is the request's own
    `visitor_context_for` result when the page already needed it (`pz_if_segment`).
    `extra_placements` are configs the caller compiled itself (a page rendering its own
    personalized blocks, or previewing a draft); other keys the catalog lacks are asked
    of the registered placement sources (`personalization.placement_sources`)."""
    now = now or clock.now()
    locale = (locale or context.get("locale") or settings.LANGUAGE_CODE).lower()
    visitor = evaluated or visitor_context_for(visitor_id, context, now, forced_segments)
    facts = visitor.facts
    targeting = frozenset(visitor.targetable)
    keys = list(dict.fromkeys(placement_keys))[:MAX_PLACEMENTS_PER_DECISION]
    decision = Decision(
        visitor_id=visitor_id,
        segments=list(visitor.segments),
        placements={},
        personalized=visitor.personalized,
        degraded=visitor.degraded,
        holdout=in_holdout(visitor, forced_segments),
    )
    try:
        catalog = placement_catalog(visitor.config_version)
    except DatabaseError:
        logger.warning("no placement catalog available", exc_info=True)
        decision.degraded = True
        decision.placements = dict.fromkeys(keys)
        return decision

    external = dict(extra_placements or {})
    missing = [key for key in keys if key not in catalog.placements and key not in external]
    if missing:
        external.update(external_placements(missing, visitor.config_version))
    assignments = (
        {}
        if decision.holdout
        else _experiment_assignments(visitor, keys, targeting, forced_segments)
    )
    exposures: list[Assignment] = []
    chosen: list[ChosenVariant] = []
    for key in keys:
        config = catalog.placements.get(key) or external.get(key)
        if config is None:
            decision.placements[key] = None
            continue
        popup = None
        if key == settings.PZ_POPUP_PLACEMENT and not decision.holdout:
            popup = _triggered_popup(visitor, visitor_id)
        if popup is not None:
            values = _placeholder_values(visitor, reasons.TRIGGER, context, popup.body[0].value)
            shown = VariantTarget("trigger", popup.pk, 0, 0, False)
            chosen.append(ChosenVariant(key, shown, reasons.TRIGGER, popup, values))
            continue
        if decision.holdout:
            variant, reason = fallback_variant(config.variants), reasons.HOLDOUT
        else:
            variant, reason = choose_variant(config.variants, targeting, facts, now)
        experiment = None
        assignment = assignments.get(key)
        arm_variant = next(
            (v for v in config.variants if assignment and v.key == assignment.variant), None
        )
        if assignment and arm_variant:
            variant, reason = arm_variant, DecisionReason.experiment_arm(assignment.key)
            experiment = {"key": assignment.key, "arm": assignment.arm}
            exposures.append(assignment)
        component = component_for_locale(config, variant, locale) if variant else None
        if variant is None or component is None:
            decision.placements[key] = None
            continue
        block_value = component.body[0].value
        items = None
        if component.kind == "recommendations":
            # The holdout gets what a shop without personalization would show.
            items = recommendation_items(
                strategy="popular" if decision.holdout else block_value.get("strategy"),
                count=block_value.get("count") or 8,
                visitor_id=visitor_id if visitor.personalized and not decision.holdout else None,
                context=context,
            )
        values = _placeholder_values(visitor, reason, context, block_value)
        # Fragments showing the visitor's own data never go to the shared cache as they
        # are: their skeleton (rendered without the visitor's values) does, and each
        # request fills it in. The rest are cached per decision key.
        fragment_key = skeleton_key = None
        if not uses_visitor_tokens(component):
            payload = {"values": values, "items": items, "locale": locale}
            fragment_key = _fragment_key(component, key, variant.key, payload)
        elif items is None:
            shared = {name: v for name, v in values.items() if not name.startswith(VISITOR)}
            payload = {"values": shared, "locale": locale}
            skeleton_key = "skeleton:" + _fragment_key(component, key, variant.key, payload)
        chosen.append(
            ChosenVariant(
                key,
                variant,
                reason,
                component,
                values,
                items,
                fragment_key,
                experiment,
                skeleton_key,
            )
        )

    cache_keys = [row.fragment_key or row.skeleton_key for row in chosen]
    wanted = [cache_key for cache_key in cache_keys if cache_key]
    cached: dict[str, Any] = cache.get_many(wanted) if wanted else {}
    fresh: dict[str, Fragment | Skeleton] = {}
    for row in chosen:
        fragment = cached.get(row.fragment_key) if row.fragment_key else None
        skeleton = cached.get(row.skeleton_key) if row.skeleton_key else None
        options: dict[str, Any] = {
            "placement_key": row.placement,
            "variant_key": row.variant.key,
            "extra": {"items": row.items or []},
        }
        if skeleton is not None and skeleton.fragment is not None:
            fragment = fill_skeleton(skeleton, row.values)  # None: render it in full
        elif row.skeleton_key and skeleton is None:
            deferred = [name for name in row.values if name.startswith(VISITOR)]
            skeleton, fragment = render_skeleton(
                row.component, values=row.values, deferred=deferred, **options
            )
            fresh[row.skeleton_key] = skeleton
        if fragment is None:
            fragment = render_component(row.component, values=row.values, **options)
            if row.fragment_key:
                fresh[row.fragment_key] = fragment
        decision.placements[row.placement] = PlacementDecision(
            placement=row.placement,
            component=row.component.key,
            variant=row.variant.key,
            reason=row.reason,
            kind=fragment.kind,
            html=fragment.html,
            data=fragment.data,
            items=row.items,
            experiment=row.experiment,
        )
    if fresh:
        cache.set_many(fresh, FRAGMENT_TTL_SECONDS)
    if exposures and visitor.canonical_id:
        _log_exposures(visitor.canonical_id, exposures, now)
    return decision


def in_holdout(visitor: VisitorContext, forced_segments: list[str] | None) -> bool:
    """Whether this decision is for a visitor of the global holdout: only visitors who
    allow personalization are in it, and a staff preview never is."""
    return (
        forced_segments is None and visitor.personalized and in_global_holdout(visitor.bucketing_id)
    )


def _triggered_popup(visitor: VisitorContext, visitor_id: str | None) -> Any:
    """The pop-up a trigger left for this visitor, at most once: showing it clears it.
    Only for visitors who allow personalization; an outage shows the placement's own
    content instead."""
    target = visitor.canonical_id or visitor_id
    if not visitor.personalized or not target:
        return None
    try:
        component = pending_onsite_component(target)
        if component is not None:
            onsite_message_shown(visitor_id=target)
    except (DatabaseError, ConnectionError, TimeoutError, OSError):
        logger.warning("pending pop-up unavailable", exc_info=True)
        return None
    return component


def _experiment_assignments(
    visitor: VisitorContext,
    keys: list[str],
    targeting: frozenset[str],
    forced_segments: list[str] | None,
) -> dict[str, Assignment]:
    """The visitor's experiment arms by placement, when they may be tracked (exposures are
    tracking) and this is no staff preview. Without the experiments or the visitor's
    exposures (a database outage), no arm: the targeted content is shown."""
    visitor_id, bucketing_id = visitor.canonical_id, visitor.bucketing_id
    if not visitor.consent.tracking or not visitor_id or not bucketing_id:
        return {}
    if forced_segments is not None:
        return {}
    try:
        return assignments_for(
            experiment_catalog(visitor.config_version),
            keys,
            bucketing_id=bucketing_id,
            visitor_id=visitor_id,
            segments=targeting,
        )
    except DatabaseError:
        logger.warning("experiments unavailable; showing targeted content", exc_info=True)
        return {}


def target_experiment_arm(
    visitor: VisitorContext,
    key: str,
    forced_segments: list[str] | None,
    available: Container[str],
    now: datetime | None = None,
) -> Assignment | None:
    """The visitor's arm of the experiment on a target the caller renders itself (a
    page's whole body, `page:<page id>`), if its variant is `available`; its first
    exposure is recorded as decide records a placement's. None in a staff preview, in the
    holdout, or without tracking consent."""
    if in_holdout(visitor, forced_segments):
        return None
    targeting = frozenset(visitor.targetable)
    assignment = _experiment_assignments(visitor, [key], targeting, forced_segments).get(key)
    if assignment is None or assignment.variant not in available:
        return None
    if visitor.canonical_id:
        _log_exposures(visitor.canonical_id, [assignment], now or clock.now())
    return assignment


def _log_exposures(visitor_id: str, exposures: list[Assignment], now: datetime) -> None:
    try:
        record_exposures(visitor_id, exposures, now)
    except DatabaseError:
        logger.warning("exposures could not be logged", exc_info=True)
