"""Customer lookup for staff: one customer, found by customer id, e-mail or visitor id,
told in marketer words: segments and since when, recent events, what each placement
would show them and why, recommendations, experiment arms and trigger firings.

Read-only: placements are decided as a staff preview of the customer's segments
(`preview.preview_decision`), so nothing records an impression or an exposure and no
pending pop-up is consumed; experiment arms come from the exposures already logged."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog.models import Product
from content.models import PlacementVariant
from core import clock
from core.audit import record_change
from core.formatting import money
from experiments.models import Arm, Experiment, Exposure
from personalization.preview import PlacementRow, placement_rows, preview_decision
from recommendations.serving import recommend_for_visitor
from segments.models import Segment
from segments.selectors import too_small, visitor_context, visitor_memberships
from tracking.models import Event, EventTypeDefinition, VisitorProfile
from tracking.rule_fields.builtin import EVENT_TYPE_LABELS
from triggers.models import Firing

RECENT_EVENTS = 50
RECENT_FIRINGS = 20
RECOMMENDATIONS = 8


@dataclass
class SegmentRow:
    name: str
    since: datetime | None
    # Below PZ_MIN_SEGMENT_SIZE: no placement or test targets it (its size, else None).
    too_small_size: int | None = None


@dataclass
class EventRow:
    label: str
    at: datetime
    detail: str


@dataclass
class ArmRow:
    experiment: str
    arm: str
    variant: str
    since: datetime
    placement: str = ""
    running: bool = False


@dataclass
class FiringRow:
    trigger: str
    status: str
    at: datetime
    note: str


@dataclass
class CustomerView:
    visitor_id: str
    known_customer: bool
    email: str
    first_name: str
    orders: int
    revenue: Any
    last_seen: datetime | None
    segments: list[SegmentRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    placements: list[PlacementRow] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    arms: list[ArmRow] = field(default_factory=list)
    firings: list[FiringRow] = field(default_factory=list)


def _event_label(event_type: str) -> str:
    if event_type in EVENT_TYPE_LABELS:
        return EVENT_TYPE_LABELS[event_type]
    custom = EventTypeDefinition.objects.filter(name=event_type).values_list("label", flat=True)
    return next(iter(custom), "") or event_type.replace("_", " ").capitalize()


def _events(visitor_id: str) -> list[EventRow]:
    events = list(
        Event.objects.filter(visitor_id=visitor_id).order_by("-timestamp", "-id")[:RECENT_EVENTS]
    )
    product_ids = {str(e.properties.get("product_id")) for e in events if e.properties}
    titles = dict(
        Product.objects.filter(product_id__in=product_ids).values_list("product_id", "title")
    )
    rows = []
    for event in events:
        props = event.properties or {}
        detail = ""
        if props.get("product_id"):
            detail = titles.get(str(props["product_id"]), str(props["product_id"]))
        elif props.get("query"):
            detail = f"“{props['query']}”"
        elif props.get("url"):
            detail = str(props["url"])
        amount = props.get("revenue") or props.get("value")
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            detail = f"{detail} · {money(amount)}".strip(" ·")
        elif amount:
            detail = f"{detail} · {amount}".strip(" ·")
        rows.append(EventRow(_event_label(event.type), event.timestamp, detail))
    return rows


def _placements(visitor_id: str, targetable: list[str], arms: list[ArmRow]) -> list[PlacementRow]:
    """Each live placement's variant for the customer's current segments; where they hold
    an arm of a running A/B test on it, the arm's variant (as the storefront shows it)."""
    rows = placement_rows(preview_decision(segments=targetable, path="/"))
    variant_components = {
        (placement, variant): component
        for placement, variant, component in PlacementVariant.objects.values_list(
            "placement__key", "key", "component__name"
        )
    }
    for row in rows:
        arm = next((a for a in arms if a.running and a.placement == row.key and a.variant), None)
        if arm is not None and row.variant:
            row.variant = arm.variant
            row.component = variant_components.get((row.key, arm.variant), "")
            row.why = f"Their arm “{arm.arm}” of the running A/B test “{arm.experiment}”."
    return rows


def _arms(visitor_id: str) -> list[ArmRow]:
    exposures = list(
        Exposure.objects.filter(visitor_id=visitor_id)
        .select_related("experiment", "experiment__placement")
        .order_by("-first_exposed_at")
    )
    variants = {
        (arm.experiment_id, arm.key): arm.variant_key
        for arm in Arm.objects.filter(experiment_id__in={e.experiment_id for e in exposures})
    }
    return [
        ArmRow(
            e.experiment.name,
            e.arm,
            variants.get((e.experiment_id, e.arm), ""),
            e.first_exposed_at,
            e.experiment.target_key,
            e.experiment.status == Experiment.Status.RUNNING,
        )
        for e in exposures
    ]


def _firings(visitor_id: str) -> list[FiringRow]:
    firings = (
        Firing.objects.filter(visitor_id=visitor_id)
        .select_related("trigger")
        .order_by("-created_at", "-pk")[:RECENT_FIRINGS]
    )
    return [
        FiringRow(f.trigger.name, f.get_status_display(), f.created_at, f.reason) for f in firings
    ]


def customer_view(profile: VisitorProfile) -> CustomerView:
    """Everything the lookup page shows about one customer."""
    visitor_id = profile.visitor_id
    attributes = profile.attributes or {}
    arms = _arms(visitor_id)
    memberships = visitor_memberships(visitor_id)
    # Stored memberships carry since-when; real-time segments hold "right now" only.
    evaluated = visitor_context(visitor_id, {}, now=clock.now())
    segments = [
        SegmentRow(m.segment.name, m.entered_at, m.segment.size if too_small(m.segment) else None)
        for m in memberships
    ]
    stored = {m.segment.key for m in memberships}
    names = dict(Segment.objects.filter(key__in=evaluated.segments).values_list("key", "name"))
    segments += [SegmentRow(names.get(k, k), None) for k in evaluated.segments if k not in stored]
    items = recommend_for_visitor(strategy="personal", k=RECOMMENDATIONS, visitor_id=visitor_id)
    return CustomerView(
        visitor_id=visitor_id,
        known_customer=bool(profile.customer_key),
        email=profile.marketing_email_address or str(attributes.get("email") or ""),
        first_name=str(attributes.get("first_name") or ""),
        orders=profile.orders,
        revenue=profile.revenue,
        last_seen=profile.last_seen,
        segments=segments,
        events=_events(visitor_id),
        placements=_placements(visitor_id, list(evaluated.targetable), arms),
        recommendations=[str(item.get("title") or item.get("product_id")) for item in items],
        arms=arms,
        firings=_firings(visitor_id),
    )


LOOKUP_ACTION = "pz.customer.lookup"
LOOKUP_ACTIONS = {LOOKUP_ACTION: ("Customer looked up", "Customer looked up")}


def record_lookup(profile: VisitorProfile, user: Any) -> None:
    """Audit that `user` looked at this customer (on their profile's history)."""
    record_change(instance=profile, action=LOOKUP_ACTION, user=user)
