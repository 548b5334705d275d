"""Extra admin views of experiments, mounted by `ExperimentViewSet`: start, stop, change
traffic, promote a winner, recompute results, and the sample-size calculator. Each parses
input, calls a service, and answers with a message and a redirect; a refused change
(`ExperimentError`) becomes an error message, never a 500."""

import math
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import BaseOperationView, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from content.placement_summary import variant_line
from core import formatting
from core.admin_views import job_response
from core.charts import BandPoint, band_chart
from core.formatting import money
from core.jobs import start_job
from experiments import services, statistics
from experiments.forms import CalculatorForm, PromoteForm, TrafficForm, shares_from_weights
from experiments.models import Experiment, ResultSnapshot
from experiments.tasks import compute_results_task
from experiments.wording import (
    SRM_WORDS,
    arm_name,
    decision_words,
    event_words,
    lead_sentence,
)

CHART_WIDTH = 560
CHART_HEIGHT = 180
CHART_PADDING = 36
CHART_COLOURS = ("#2e1f5e", "#e86a2b", "#1f7a4d", "#b3261e", "#0a6ebd", "#7a5c00")
CHART_SNAPSHOTS = 60

# Under every verdict: how it was reached, for whoever asks.
DECISION_METHOD = (
    "Decided by the always-valid test, which stays correct however often you look "
    "(Holm-adjusted when several arms are compared with the control)."
)


def with_latest_decision(queryset: QuerySet[Experiment]) -> QuerySet[Experiment]:
    """Experiments annotated with the decision and SRM flag of their latest snapshot."""
    latest = ResultSnapshot.objects.filter(experiment=OuterRef("pk")).order_by("-computed_at")
    return (
        queryset.select_related("placement")
        .prefetch_related("arms")
        .annotate(
            latest_decision=Subquery(latest.values("decision")[:1]),
            latest_srm=Subquery(latest.values("srm")[:1]),
        )
    )


def _percent(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _interval(low: float | None, high: float | None, percent: bool = True) -> str:
    def show(value: float | None) -> str:
        if value is None:
            return "∞"
        return _percent(value, 1) if percent else f"{value:.2f}"

    return f"[{show(low)}, {show(high)}]"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def arm_rows(report: dict[str, Any], variants: dict[str, str]) -> list[dict[str, Any]]:
    """The report's arms formatted for the results table."""
    rows = []
    for arm in report.get("arms", []):
        control = arm.get("is_control")
        rows.append(
            {
                "key": arm["key"],
                "variant": variants.get(arm["key"], ""),
                "is_control": control,
                "exposures": arm["exposures"],
                "conversions": arm["conversions"],
                "rate": _percent(arm.get("rate")),
                "rate_ci": _interval(arm.get("rate_low"), arm.get("rate_high")),
                "rpv": money(arm.get("revenue_per_visitor") or 0),
                "rpv_ci": _interval(arm.get("revenue_low"), arm.get("revenue_high"), False),
                "lift": "control" if control else _percent(arm.get("lift"), 1),
                "lift_ci": "" if control else _interval(arm.get("lift_low"), arm.get("lift_high")),
                "p_value": _p(arm.get("p_value")),
                "p_value_adjusted": _p(arm.get("p_value_adjusted")),
                "always_valid_p": _p(arm.get("always_valid_p_adjusted", arm.get("always_valid_p"))),
                "revenue_p_value": _p(arm.get("revenue_p_value")),
                "chance_to_beat_control": _percent(arm.get("chance_to_beat_control"), 1),
                "expected_loss": _percent(arm.get("expected_loss"), 3),
                "chance_best": _percent(arm.get("chance_best"), 1),
            }
        )
    return rows


def _points(value: float | None, signed: bool = True) -> str:
    """An absolute difference of two rates in percentage points."""
    if value is None:
        return "–"
    return f"{value * 100:+.2f} pts" if signed else f"{value * 100:.2f}"


def guardrail_rows(
    report: dict[str, Any], names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The report's guardrails formatted for their table: per arm the share of visitors
    with the event, its change from the control (always-valid interval) and the verdict."""
    guardrails = []
    for guardrail in report.get("guardrails") or []:
        moves = "rises" if guardrail.get("harm") == "increase" else "drops"
        arms = []
        for arm in guardrail.get("arms", []):
            control = arm.get("is_control")
            # an unbounded interval: no variance yet (no events, or no visitors)
            measured = arm.get("difference_low") is not None
            arms.append(
                {
                    "key": arm["key"],
                    "name": (names or {}).get(arm["key"]) or arm_name(arm["key"], None),
                    "is_control": control,
                    "visitors": arm["visitors"],
                    "exposures": arm["exposures"],
                    "rate": _percent(arm.get("rate")),
                    "rate_ci": _interval(arm.get("rate_low"), arm.get("rate_high")),
                    "difference": "control"
                    if control
                    else _points(arm.get("difference") if measured else None),
                    "difference_ci": ""
                    if control or not measured
                    else f"[{_points(arm.get('difference_low'))}, "
                    f"{_points(arm.get('difference_high'))}]",
                    "always_valid_p": _p(arm.get("always_valid_p")),
                    "harmed": arm.get("harmed", False),
                    "measured": measured,
                }
            )
        guardrails.append(
            {
                "event": guardrail["event"],
                "event_words": event_words(guardrail["event"]),
                "harm_text": f"harmed if it {moves}",
                "harmed_arms": guardrail.get("harmed_arms", []),
                "arms": arms,
            }
        )
    return guardrails


def allocation_rows(
    report: dict[str, Any], names: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """An adaptive experiment's allocation periods: from when, the weights as shares of
    new visitors, and how many visitors each arm got in that period."""
    rows = []
    for period in report.get("allocations") or []:
        weights = period.get("weights") or {}
        total = sum(weights.values()) or 1
        rows.append(
            {
                "number": period["number"],
                "started_at": parse_datetime(period.get("started_at") or ""),
                "shares": ", ".join(
                    f"{(names or {}).get(k, k)} {w / total:.0%}" for k, w in weights.items()
                ),
                "exposures": ", ".join(
                    f"{(names or {}).get(k, k)} {n:,}"
                    for k, n in (period.get("exposures") or {}).items()
                ),
            }
        )
    return rows


def line_chart(
    series: dict[str, list[tuple[datetime, float]]],
    *,
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
    percent: bool = True,
) -> dict[str, Any] | None:
    """An inline-SVG line chart: one polyline per arm, the y axis from 0 to the highest
    value, the x axis from the first to the last snapshot. None with under two points."""
    times = sorted({at for points in series.values() for at, _ in points})
    if len(times) < 2:
        return None
    start, span = times[0], (times[-1] - times[0]).total_seconds() or 1.0
    top = max((value for points in series.values() for _, value in points), default=0.0) or 1.0
    inner_w, inner_h = width - 2 * CHART_PADDING, height - 2 * CHART_PADDING

    def x(at: datetime) -> float:
        return CHART_PADDING + (at - start).total_seconds() / span * inner_w

    def y(value: float) -> float:
        return height - CHART_PADDING - value / top * inner_h

    lines = []
    for index, (key, points) in enumerate(series.items()):
        lines.append(
            {
                "key": key,
                "colour": CHART_COLOURS[index % len(CHART_COLOURS)],
                "points": " ".join(f"{x(at):.1f},{y(value):.1f}" for at, value in points),
                "last": _percent(points[-1][1]) if percent else f"{points[-1][1]:.2f}",
            }
        )
    return {
        "width": width,
        "height": height,
        "lines": lines,
        "top_label": _percent(top, 1) if percent else f"{top:.2f}",
        "top_y": CHART_PADDING,
        "bottom_y": height - CHART_PADDING,
        "left_x": CHART_PADDING,
        "right_x": width - CHART_PADDING,
        "first": times[0],
        "last": times[-1],
    }


def history_charts(experiment: Experiment) -> list[dict[str, Any]]:
    """Conversion rate and revenue per visitor per arm over the stored snapshots."""
    snapshots = list(experiment.snapshots.order_by("-computed_at")[:CHART_SNAPSHOTS])
    rate: dict[str, list[tuple[datetime, float]]] = {}
    revenue: dict[str, list[tuple[datetime, float]]] = {}
    for snapshot in reversed(snapshots):
        for arm in snapshot.report.get("arms", []):
            rate.setdefault(arm["key"], []).append((snapshot.computed_at, arm.get("rate") or 0.0))
            revenue.setdefault(arm["key"], []).append(
                (snapshot.computed_at, arm.get("revenue_per_visitor") or 0.0)
            )
    charts = []
    for title, series, percent in (
        ("Conversion rate", rate, True),
        ("Revenue per visitor", revenue, False),
    ):
        chart = line_chart(series, percent=percent)
        if chart:
            charts.append({"title": title, **chart})
    return charts


def lift_chart(experiment: Experiment, names: dict[str, str] | None = None) -> str:
    """The leading arm's lift over the stored snapshots, with its 95% interval band
    (server-rendered SVG; every text escaped by core.charts)."""
    snapshots = list(experiment.snapshots.order_by("-computed_at")[:CHART_SNAPSHOTS])
    points = []
    for snapshot in reversed(snapshots):
        arms = [arm for arm in snapshot.report.get("arms", []) if not arm.get("is_control")]
        arm = max(arms, key=lambda a: a.get("lift") or -1e9, default=None)
        if arm is not None:
            points.append(
                BandPoint(
                    f"{snapshot.computed_at:%b %d} ({(names or {}).get(arm['key'], arm['key'])})",
                    arm.get("lift"),
                    arm.get("lift_low"),
                    arm.get("lift_high"),
                )
            )
    return mark_safe(band_chart(points, title="Lift of the leading arm over control"))  # noqa: S308


CUPED_LABELS = {"conversion_rate": "Conversion rate", "revenue_per_visitor": "Revenue per visitor"}


def cuped_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The CUPED-adjusted lifts per metric and arm, with the variance reduction achieved."""
    cuped = report.get("cuped") or {}
    rows = []
    for metric, data in (cuped.get("metrics") or {}).items():
        for arm, lift in data.get("arms", {}).items():
            rows.append(
                {
                    "metric": CUPED_LABELS.get(metric, metric),
                    "arm": arm,
                    "reduction": _percent(data.get("variance_reduction"), 0),
                    "lift": _percent(lift.get("lift"), 1),
                    "lift_ci": _interval(lift.get("lift_low"), lift.get("lift_high")),
                }
            )
    return rows


def variant_labels(experiment: Experiment) -> dict[str, str]:
    """The experiment's variant keys by their placement summary line ("Everyone else →
    Welcome hero"); a target other than a placement keeps the variant's name."""
    if experiment.placement is None:
        return {}
    return {variant.key: variant_line(variant) for variant in experiment.placement.variants.all()}


def arms_plan(experiment: Experiment) -> list[dict[str, Any]]:
    """The arms as set up: name, what they show, share of the experiment's visitors."""
    arms = list(experiment.arms.all())
    labels = variant_labels(experiment)
    shares = shares_from_weights([arm.weight for arm in arms])
    return [
        {
            "key": arm.key,
            "name": arm_name(arm.key, arm.variant_key),
            "is_control": arm.is_control,
            "shows": labels.get(arm.variant_key, arm_name(arm.variant_key, None)),
            "share": share,
        }
        for arm, share in zip(arms, shares, strict=True)
    ]


def report_context(experiment: Experiment) -> dict[str, Any]:
    """Everything the results page shows, from the latest snapshot and the history."""
    snapshot = experiment.snapshots.order_by("-computed_at").first()
    variants = {arm.key: arm.variant_key for arm in experiment.arms.all()}
    plan = arms_plan(experiment)
    common = {
        "arms_plan": plan,
        "goal_words": event_words(experiment.goal_event),
        "arm_names": {arm["key"]: arm["name"] for arm in plan},
    }
    names = common["arm_names"]
    common["object_winner_name"] = names.get(experiment.winner, experiment.winner)
    if snapshot is None:
        label, meaning = decision_words("")
        if experiment.status == Experiment.Status.DRAFT:
            meaning = "Start the experiment: results follow once visitors see its arms."
        return {**common, "snapshot": None, "decision_label": label, "decision_meaning": meaning}
    report = snapshot.report
    control = report.get("control", "")
    winner = (
        snapshot.decision.removeprefix("winner:") if snapshot.decision.startswith("winner:") else ""
    )
    rows = arm_rows(report, variants)
    for row in rows:
        row["harms"] = services.harmed_guardrails(report, row["key"])
        row["name"] = names.get(row["key"], row["key"])
    label, meaning = decision_words(snapshot.decision, control, variants)
    return {
        **common,
        "sentence": lead_sentence(report, variants, experiment.goal_event),
        "cuped": report.get("cuped"),
        "cuped_rows": [
            {**row, "arm": names.get(row["arm"], row["arm"])} for row in cuped_rows(report)
        ],
        "lift_chart": lift_chart(experiment, names),
        "snapshot": snapshot,
        "report": report,
        "computed_at": parse_datetime(report.get("computed_at") or "") or snapshot.computed_at,
        "srm": report.get("srm") or {},
        "srm_words": SRM_WORDS,
        "decision": snapshot.decision,
        "decision_label": label,
        "decision_meaning": meaning,
        "decision_method": DECISION_METHOD,
        "winner_arm": winner,
        "winner_name": names.get(winner, winner),
        "winner_harms": [event_words(event) for event in services.harmed_guardrails(report, winner)]
        if winner
        else [],
        "period_weighted": report.get("estimator") == statistics.PERIOD_WEIGHTED,
        "rows": rows,
        "guardrails": guardrail_rows(report, names),
        "allocations": allocation_rows(report, names),
        "charts": history_charts(experiment),
    }


class ExperimentOperationView(PermissionCheckedMixin, BaseOperationView):
    """POST an operation; an `ExperimentError` becomes an error message."""

    model = Experiment
    permission_required = "change"
    success_url_name = "experiments:inspect"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.perform_operation()
        except services.ExperimentError as exc:
            messages.error(request, f"'{self.object}': {exc}")
            return redirect(self.get_success_url())
        self.add_success_message()
        return redirect(self.get_success_url())


class ExperimentStartView(ExperimentOperationView):
    def perform_operation(self) -> None:
        self.object = services.experiment_start(experiment=self.object)
        self.success_message = f"'{self.object}' is running."


class ExperimentStopView(ExperimentOperationView):
    def perform_operation(self) -> None:
        self.object = services.experiment_stop(experiment=self.object)
        self.success_message = f"'{self.object}' stopped; every visitor sees the default again."


class ExperimentRecomputeView(ExperimentOperationView):
    """POST: recompute the results as a job (`core.jobs`); once done, the verdict in words."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = start_job(
            compute_results_task,
            self.object.pk,
            label=f"Recomputing the results of “{self.object}”",
            return_url=self.get_success_url(),
            return_label=str(self.object),
            user=request.user,
        )
        snapshot = self.object.snapshots.order_by("-computed_at").first()
        verdict = ""
        if job.status == job.Status.FINISHED and snapshot is not None:
            control = next((arm.key for arm in self.object.arms.all() if arm.is_control), "")
            variants = {arm.key: arm.variant_key for arm in self.object.arms.all()}
            label, meaning = decision_words(snapshot.decision, control, variants)
            verdict = f"{label}. {meaning}"
        return job_response(request, job, detail=verdict)


class ExperimentObjectPageMixin(PermissionCheckedMixin, WagtailAdminTemplateMixin):
    """A page about one experiment, with breadcrumbs back to it."""

    model = Experiment
    permission_required = "change"
    header_icon = "tasks"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Experiment, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.object)

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse("experiments:index"), "label": "Experiments"},
            {
                "url": reverse("experiments:inspect", args=[self.object.pk]),
                "label": str(self.object),
            },
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context


class ExperimentTrafficView(ExperimentObjectPageMixin, FormView):
    """GET a form, POST `experiment_set_traffic` (a full layer refuses with a message)."""

    form_class = TrafficForm
    template_name = "experiments/admin/experiment_form_page.html"
    page_title = "Change traffic"

    def get_initial(self) -> dict[str, Any]:
        return {"traffic": self.object.traffic}

    def form_valid(self, form: TrafficForm) -> HttpResponse:
        try:
            services.experiment_set_traffic(
                experiment=self.object, traffic=form.cleaned_data["traffic"]
            )
        except services.ExperimentError as exc:
            if isinstance(exc, services.ExperimentConflict):
                messages.error(self.request, f"'{self.object}': {exc}")
                return redirect("experiments:inspect", self.object.pk)
            form.add_error("traffic", str(exc))
            return self.form_invalid(form)
        messages.success(
            self.request, f"Traffic of '{self.object}' set to {form.cleaned_data['traffic']:.0%}."
        )
        return redirect("experiments:inspect", self.object.pk)


class ExperimentPromoteView(ExperimentObjectPageMixin, FormView):
    """GET asks for confirmation, showing the arm's guardrails; POST promotes the arm's
    variant to the placement default, publishes the placement and stops the experiment.
    An arm that harms a guardrail needs a reason, which the audit log keeps."""

    form_class = PromoteForm
    template_name = "experiments/admin/experiment_promote.html"
    page_title = "Promote winner"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.arm = get_object_or_404(self.object.arms, key=kwargs["arm"])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        snapshot = self.object.snapshots.order_by("-computed_at").first()
        report = snapshot.report if snapshot else {}
        plan = {row["key"]: row for row in arms_plan(self.object)}
        context["arm"] = self.arm
        context["arm_plan"] = plan.get(self.arm.key)
        context["snapshot"] = snapshot
        context["harms"] = [
            event_words(event) for event in services.harmed_guardrails(report, self.arm.key)
        ]
        context["guardrails"] = [
            {**guardrail, "arm": next(a for a in guardrail["arms"] if a["key"] == self.arm.key)}
            for guardrail in guardrail_rows(report, {k: row["name"] for k, row in plan.items()})
            if any(a["key"] == self.arm.key for a in guardrail["arms"])
        ]
        form = context["form"]
        context["needs_reason"] = bool(context["harms"]) or bool(form.errors.get("override_reason"))
        return context

    def form_valid(self, form: PromoteForm) -> HttpResponse:
        try:
            placement = services.promote_winner(
                experiment=self.object,
                arm_key=self.arm.key,
                user=self.request.user,
                override_reason=form.cleaned_data["override_reason"],
            )
        except services.ExperimentError as exc:
            if "override_reason" in exc.fields:
                form.add_error("override_reason", str(exc))
                return self.form_invalid(form)
            messages.error(self.request, f"'{self.object}': {exc}")
            return redirect("experiments:inspect", self.object.pk)
        overridden = (
            " over a harmed guardrail (reason logged)"
            if form.cleaned_data["override_reason"].strip()
            else ""
        )
        messages.success(
            self.request,
            f"{arm_name(self.arm.key, self.arm.variant_key)} promoted{overridden}: what it "
            "shows is now the default of "
            f"'{placement}', published, and the experiment stopped.",
        )
        return redirect("experiments:inspect", self.object.pk)


def duration_days(per_arm: int, arms: int, daily_visitors: int, traffic: float) -> int:
    """Days to enrol `per_arm` visitors in each arm at this daily reach."""
    return math.ceil(per_arm * arms / (daily_visitors * traffic))


class SampleSizeCalculatorView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET: visitors per arm (`statistics.sample_size_per_arm`) and the days it takes."""

    model = Experiment
    any_permission_required = ["add", "change", "view"]
    template_name = "experiments/admin/calculator.html"
    page_title = "Sample size calculator"
    header_icon = "calculator"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse("experiments:index"), "label": "Experiments"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = CalculatorForm(self.request.GET or None)
        context["form"] = form
        if form.is_valid():
            data = form.cleaned_data
            # Several treatments are each compared with the control (Holm-adjusted in the
            # report): size for the Bonferroni bound, which Holm never exceeds.
            alpha = data["alpha"] / (data["arms"] - 1)
            context["alpha_per_comparison"] = alpha
            try:
                per_arm = statistics.sample_size_per_arm(
                    data["baseline"],
                    data["minimum_detectable_effect"],
                    alpha=alpha,
                    power=data["power"],
                )
            except ValueError as exc:
                form.add_error("minimum_detectable_effect", str(exc))
            else:
                context["per_arm"] = per_arm
                context["total"] = per_arm * data["arms"]
                context["days"] = duration_days(
                    per_arm, data["arms"], data["daily_visitors"], data["traffic"]
                )
                target = data["baseline"] * (1 + data["minimum_detectable_effect"])
                context.update(
                    baseline_percent=formatting.percent(data["baseline"]),
                    target_percent=formatting.percent(target),
                    power_percent=formatting.percent(data["power"]),
                    alpha_percent=formatting.percent(alpha),
                    total_alpha_percent=formatting.percent(data["alpha"]),
                )
        return context
