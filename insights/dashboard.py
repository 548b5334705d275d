"""The numbers of the personalization dashboard (the Wagtail admin home): each panel's
figures from stored aggregates or cached reports, never a scan of events per view."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils.safestring import SafeString, mark_safe

from content.models import Placement
from core import clock
from core.charts import band_chart
from core.formatting import money, percent
from experiments.models import Experiment
from experiments.wording import decision_words, lead_sentence
from insights import selectors, services
from insights.models import SegmentKpiDay
from insights.trigger_results import trigger_results
from insights.wording import uplift_sentence
from recommendations.models import RecommenderModel
from segments.models import Segment, SegmentSizeSnapshot
from tracking.models import Event
from triggers.models import Trigger

TOP = 3


def uplift_panel() -> dict[str, Any]:
    report = services.uplift_report(days=30)
    conversion = report["lift"]["conversion_rate"]
    return {
        "sentence": uplift_sentence(report),
        "chart": _chart(band_chart(services.lift_points(report), title="Lift, last 30 days")),
        "lift": percent(conversion["estimate"], signed=True),
        "personalized": report["personalized"],
        "holdout": report["holdout"],
        "rpv_lift": percent(report["lift"]["revenue_per_visitor"]["estimate"], signed=True),
        "decision": report["decision"],
    }


def _chart(svg: str) -> SafeString:
    return mark_safe(svg)  # noqa: S308 - core.charts escapes every text it renders


def experiments_panel() -> list[dict[str, Any]]:
    rows = []
    running = Experiment.objects.filter(status=Experiment.Status.RUNNING).order_by("name")
    for experiment in running.prefetch_related("arms")[:10]:
        snapshot = experiment.snapshots.order_by("-computed_at").first()
        variants = {arm.key: arm.variant_key for arm in experiment.arms.all()}
        rows.append(
            {
                "experiment": experiment,
                "sentence": (
                    lead_sentence(snapshot.report, variants, experiment.goal_event)
                    if snapshot
                    else "No results computed yet."
                ),
                "verdict": decision_words(
                    snapshot.decision if snapshot else "",
                    next((arm.key for arm in experiment.arms.all() if arm.is_control), ""),
                    variants,
                )[0],
            }
        )
    return rows


def placements_panel() -> dict[str, list[dict[str, Any]]]:
    measured = [c for c in selectors.placement_contributions() if c.difference is not None]
    measured.sort(key=lambda c: c.difference or 0.0, reverse=True)

    # Placements by their name, as the editor shows them; the key only where one is gone.
    names = dict(Placement.objects.values_list("key", "name"))

    def row(c: selectors.PlacementContribution) -> dict[str, Any]:
        return {
            "placement": names.get(c.placement, c.placement),
            "difference": percent(c.difference, signed=True),
            "targeted": percent(c.targeted_rate),
            "fallback": percent(c.fallback_rate),
        }

    top = measured[:TOP]
    bottom = [c for c in reversed(measured[-TOP:]) if c not in top]
    return {"top": [row(c) for c in top], "bottom": [row(c) for c in bottom]}


def segments_panel(now: datetime | None = None) -> list[dict[str, Any]]:
    """Segments whose size moved most over the last 7 days (size snapshots), with the
    conversion of their members over those days (KPI days)."""
    now = now or clock.now()
    since = now - timedelta(days=7)
    moved = []
    for segment in Segment.objects.filter(is_active=True, size__isnull=False):
        before = (
            SegmentSizeSnapshot.objects.filter(segment=segment, computed_at__lte=since)
            .order_by("-computed_at")
            .values_list("size", flat=True)
            .first()
        )
        if before is None:
            before = (
                SegmentSizeSnapshot.objects.filter(segment=segment)
                .order_by("computed_at")
                .values_list("size", flat=True)
                .first()
            )
        if before is None or segment.size is None:
            continue
        days = SegmentKpiDay.objects.filter(segment=segment, day__gte=since.date())
        member_days = sum(d.members for d in days)
        moved.append(
            {
                "segment": segment,
                "size": segment.size,
                "change": segment.size - before,
                "relative": percent((segment.size - before) / before, signed=True)
                if before
                else "new",
                "conversion": percent(sum(d.converters for d in days) / member_days)
                if member_days
                else "–",
            }
        )
    moved.sort(key=lambda row: abs(float(row["change"])), reverse=True)  # type: ignore[arg-type]
    return moved[:5]


def triggers_panel() -> list[dict[str, Any]]:
    rows = []
    for trigger in Trigger.objects.filter(enabled=True).order_by("name")[:8]:
        result = trigger_results(trigger)
        lift = result.lift["conversion_rate"]
        rows.append(
            {
                "trigger": trigger,
                "contacted": result.personalized.visitors,
                "control": result.holdout.visitors,
                "contacted_rate": percent(result.personalized.conversion_rate),
                "control_rate": percent(result.holdout.conversion_rate),
                "contacted_rpv": money(result.personalized.revenue_per_visitor),
                "lift": percent(lift.estimate, signed=True),
                "interval": (
                    f"{percent(lift.low, signed=True)} to {percent(lift.high, signed=True)}"
                    if lift.low is not None and lift.high is not None
                    else ""
                ),
            }
        )
    return rows


def freshness_panel() -> dict[str, Any]:
    latest_event = Event.objects.aggregate(at=Max("received_at"))["at"]
    return {
        "last_event": latest_event,
        "last_segment_recompute": Segment.objects.aggregate(at=Max("last_computed_at"))["at"],
        "last_kpis": SegmentKpiDay.objects.aggregate(at=Max("computed_at"))["at"],
        "last_training": RecommenderModel.objects.filter(finished_at__isnull=False).aggregate(
            at=Max("finished_at")
        )["at"],
        "last_experiment_results": Experiment.objects.aggregate(at=Max("snapshots__computed_at"))[
            "at"
        ],
    }
