"""Admin forms of experiments. Create saves through `services.experiment_create`, edit
through `experiment_set_traffic` / `experiment_set_weights`; a refused change comes
back as an `ExperimentError` that `add_service_error` puts next to the fields it names.

Marketers see shares and effect sizes as percentages (`PercentField`) and edit arms as
rows of name, variant and share (`ArmRowsField`); the models keep fractions and integer
weights, converted here at the form boundary."""

import re
from typing import Any

from django import forms
from django.utils.text import slugify
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets.slug import SlugInput

from content.models import Placement
from content.panels import SearchableCheckboxes
from content.placement_summary import variant_line
from experiments import services
from experiments.models import Experiment
from experiments.wording import arm_name, event_words
from tracking.event_validation import EVENT_TYPES

ARM_FIELD = re.compile(r"^arms\[(\d+)\]\.(\w+)$")
MAX_ARMS = 10


class PercentField(forms.FloatField):
    """A share typed and shown as a percentage ("50" for half), cleaned to the fraction
    the models store (0.5)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.NumberInput(attrs={"step": "any", "class": "experiment-percent"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Initial values are fractions from the model; bound data is what was typed.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value * 100:g}"
        return value

    def clean(self, value: Any) -> float | None:
        percent = super().clean(value)
        return None if percent is None else percent / 100

    def has_changed(self, initial: Any, data: Any) -> bool:
        return super().has_changed(self.prepare_value(initial), data)


def shares_from_weights(weights: list[int]) -> list[int]:
    """Integer weights as whole percentages adding up to 100 (largest remainder)."""
    total = sum(weights) or 1
    exact = [weight * 100 / total for weight in weights]
    shares = [int(value) for value in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - shares[i], reverse=True)
    for index in by_remainder[: 100 - sum(shares)]:
        shares[index] += 1
    return shares


def variant_groups() -> list[dict[str, Any]]:
    """Each placement's variants by their summary line ("Everyone else → Welcome hero"),
    for the arms' variant chooser (grouped, so it reads without script too)."""
    return [
        {
            "placement": str(placement.pk),
            "name": placement.name,
            "variants": [
                {"key": v.key, "label": variant_line(v), "fallback": v.is_fallback}
                for v in placement.variants.all()
            ],
        }
        for placement in Placement.objects.prefetch_related(
            "variants__component",
            "variants__segments_any",
            "variants__segments_all",
            "variants__segments_none",
        ).order_by("name")
    ]


class ArmRowsWidget(forms.Widget):
    """Arms as table rows: a name (its key filled from it, as Wagtail fills a slug from a
    title), the variant shown, chosen by its summary line among the chosen placement's,
    and the share of the experiment's visitors in percent. The first row is the control."""

    template_name = "experiments/widgets/arm_rows.html"
    parts = ("name", "key", "variant", "share")

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.groups: list[dict[str, Any]] = []

    class Media:
        js = ["experiments/arm-rows.js"]
        css = {"all": ["experiments/admin.css"]}

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, str]]:
        rows = []
        for index in range(MAX_ARMS * 2):
            row = {part: (data.get(f"{name}-{index}-{part}") or "").strip() for part in self.parts}
            if any(row.values()):
                rows.append(row)
        return rows

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(key.startswith(f"{name}-") for key in data)

    def format_value(self, value: Any) -> Any:
        return value

    def row_context(self, name: str, index: int | str, row: dict[str, str]) -> dict[str, Any]:
        prefix = f"{name}-{index}"
        key_widget = SlugInput(attrs={"class": "experiment-arm-key", "aria-label": "Key"})
        return {
            "prefix": prefix,
            "values": row,
            "key_input": key_widget.render(
                f"{prefix}-key", row.get("key", ""), {"id": f"id_{prefix}-key"}
            ),
        }

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = list(value or [])
        while len(rows) < 2:
            rows.append({"share": "50"})
        context["rows"] = [self.row_context(name, i, row) for i, row in enumerate(rows)]
        context["blank_row"] = self.row_context(name, "__index__", {})
        context["groups"] = self.groups
        context["max_arms"] = MAX_ARMS
        return context


class ArmRowsField(forms.Field):
    """Cleans the rows to the arms `experiment_create` takes: a key (from the name when
    left empty), the variant key, the share as the weight, and the first as the control."""

    widget = ArmRowsWidget

    def clean(self, value: Any) -> list[dict[str, Any]]:
        rows = value or []
        problems, arms = [], []
        for number, row in enumerate(rows, start=1):
            label = row.get("name") or f"Row {number}"
            key = row.get("key") or slugify(row.get("name", ""))[:50] or row.get("variant", "")
            share = row.get("share", "")
            if not row.get("variant"):
                problems.append(f"{label}: choose the variant it shows.")
            if not share.isdigit() or int(share) <= 0:
                problems.append(f"{label}: give its share as a whole percentage above 0.")
            arms.append(
                {
                    "key": key,
                    "variant": row.get("variant", ""),
                    "weight": int(share) if share.isdigit() else 0,
                    "control": number == 1,
                }
            )
        if len(rows) < 2:
            problems.append("An experiment needs at least two arms: the control and one more.")
        if len(rows) > MAX_ARMS:
            problems.append(f"At most {MAX_ARMS} arms.")
        if not problems and sum(arm["weight"] for arm in arms) != 100:
            total = sum(arm["weight"] for arm in arms)
            problems.append(f"The shares add up to {total}%; make them add up to 100%.")
        keys = [arm["key"] for arm in arms]
        if not problems and len(set(keys)) != len(keys):
            problems.append("Give each arm its own name.")
        if problems:
            raise forms.ValidationError(problems)
        return arms


def guardrail_choice(event: str) -> tuple[str, str]:
    moves = "rises" if services.guardrail_harm(event) == "increase" else "drops"
    return event, f"{event_words(event)} (harmed if it {moves})"


class ServiceErrorMixin:
    def add_service_error(self, error: services.ExperimentError) -> None:
        """Show each `ExperimentError.fields` entry on its field (`arms[1].variant` and
        `goal.event` map to the `arms` and `goal_event` inputs)."""
        aliases = {"goal.event": "goal_event", "status": None}
        for name, reason in error.fields.items():
            target: str | None = aliases.get(name, name)
            match = ARM_FIELD.match(name)
            if match:
                target, reason = "arms", f"row {int(match[1]) + 1} ({match[2]}): {reason}"
            elif name.startswith("weights."):
                target = f"share_{name.removeprefix('weights.')}"
            if target in self.fields:  # type: ignore[attr-defined]
                self.add_error(target, f"{error} ({reason})")  # type: ignore[attr-defined]
            else:
                self.add_error(None, f"{error} ({name}: {reason})")  # type: ignore[attr-defined]
        if not error.fields:
            self.add_error(None, str(error))  # type: ignore[attr-defined]


TRAFFIC_HELP = (
    "Percentage of eligible visitors who take part; the rest see what they would anyway. "
    "Visitors already in the experiment keep their arm when this changes."
)


def traffic_field(**kwargs: Any) -> PercentField:
    return PercentField(
        label="Traffic (%)", min_value=0.01, max_value=100, help_text=TRAFFIC_HELP, **kwargs
    )


class ExperimentCreateForm(ServiceErrorMixin, WagtailAdminModelForm):
    arms = ArmRowsField(
        label="Arms",
        help_text=(
            "One row per arm: its name, the variant of the placement it shows, and its share "
            "of the experiment's visitors. The first row is the control (what visitors see "
            "today)."
        ),
    )
    traffic = traffic_field(initial=1.0)
    goal_event = forms.ChoiceField(
        label="Goal",
        choices=[(event, f"More {event_words(event)}") for event in sorted(EVENT_TYPES)],
        initial="purchase",
        help_text="What the arms are compared on: the share of visitors who do it.",
    )
    layer_key = forms.SlugField(
        label="Layer",
        required=False,
        help_text="Experiments of one layer never share a visitor (created when new).",
    )
    minimum_detectable_effect = PercentField(
        label="Minimum detectable effect (%)",
        min_value=0.1,
        max_value=1000,
        initial=0.1,
        help_text=(
            "The smallest relative lift worth detecting: 10 means 10% more conversions "
            "(3% → 3.3%). It sets how many visitors the test needs."
        ),
    )
    adaptive = forms.BooleanField(
        required=False,
        label="Adaptive allocation",
        help_text=(
            "Thompson sampling sends more new visitors to the arm doing best (every arm keeps "
            "at least 5%). Visitors keep the arm they first saw; the report weights each "
            "allocation period by its share of visitors, so its comparisons stay fair."
        ),
    )
    guardrail_events = forms.MultipleChoiceField(
        required=False,
        label="Guardrail metrics",
        widget=forms.CheckboxSelectMultiple,
        choices=[guardrail_choice(event) for event in sorted(EVENT_TYPES)],
        help_text=(
            "Events an arm must not make worse: the share of visitors with the event after "
            "first seeing the arm. An arm that harms one cannot be promoted without a reason."
        ),
    )

    class Meta:
        model = Experiment
        fields = [
            "name",
            "key",
            "hypothesis",
            "placement",
            "arms",
            "traffic",
            "segments",
            "goal_event",
            "goal_placement",
            "layer_key",
            "minimum_detectable_effect",
            "adaptive",
            "cuped",
            "guardrail_events",
        ]
        # The panels only lay the form out (it is not built from them): SlugInput here.
        widgets = {
            "hypothesis": forms.Textarea(attrs={"rows": 2}),
            "key": SlugInput,
            "segments": SearchableCheckboxes,
        }
        labels = {"cuped": "Less noise (CUPED)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["placement"].widget.attrs["data-experiment-placement"] = ""
        self.fields["arms"].widget.groups = variant_groups()
        self.fields["key"].help_text = "Filled from the name; the API and reports use it."
        self.fields["goal_placement"] = forms.ChoiceField(
            label="Clicked placement",
            required=False,
            choices=[("", "Any placement")]
            + list(Placement.objects.order_by("name").values_list("key", "name")),
            help_text="For a click goal: only clicks on this placement count.",
        )

    def save(self, commit: bool = True) -> Experiment:
        """Create through `experiment_create`; raises `ExperimentError` for the view."""
        data = self.cleaned_data
        goal: dict[str, Any] = {"event": data["goal_event"]}
        if data.get("goal_placement"):
            goal["placement"] = data["goal_placement"]
        self.instance = services.experiment_create(
            key=data["key"],
            name=data["name"],
            placement_key=data["placement"].key,
            arms=data["arms"],
            traffic=data["traffic"],
            segment_keys=[segment.key for segment in data["segments"]],
            goal=goal,
            layer_key=data.get("layer_key") or None,
            owner=self.for_user,
            hypothesis=data.get("hypothesis") or "",
            minimum_detectable_effect=data["minimum_detectable_effect"],
            adaptive=data["adaptive"],
            cuped=data.get("cuped", True),
            guardrail_events=list(data.get("guardrail_events") or []),
        )
        return self.instance


class ExperimentEditForm(ServiceErrorMixin, WagtailAdminModelForm):
    """What may change after creation: the wording, the traffic (any time) and the arms'
    shares (drafts only: a running test's split is fixed), one percentage field per arm."""

    traffic = traffic_field()

    class Meta:
        model = Experiment
        fields = ["name", "hypothesis", "traffic", "cuped"]
        widgets = {"hypothesis": forms.Textarea(attrs={"rows": 2})}
        labels = {"cuped": "Less noise (CUPED)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arms = list(self.instance.arms.all()) if self.instance.pk else []
        running = self.instance.status != Experiment.Status.DRAFT
        shares = shares_from_weights([arm.weight for arm in self.arms])
        placement = self.instance.placement if self.instance.pk else None
        shows = {v.key: variant_line(v) for v in placement.variants.all()} if placement else {}
        self.initial_shares = {arm.key: share for arm, share in zip(self.arms, shares, strict=True)}
        for arm in self.arms:
            control = " (control)" if arm.is_control else ""
            self.fields[f"share_{arm.key}"] = forms.IntegerField(
                label=f"Share of {arm_name(arm.key, arm.variant_key)}{control} (%)",
                min_value=1,
                max_value=100,
                initial=self.initial_shares[arm.key],
                disabled=running,
                help_text=(
                    "Fixed once the experiment runs."
                    if running
                    else f"Shows {shows.get(arm.variant_key, arm.variant_key)}. "
                    "The shares add up to 100%."
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        shares = {arm.key: data.get(f"share_{arm.key}") for arm in self.arms}
        if self.arms and None not in shares.values() and sum(shares.values()) != 100:  # type: ignore[arg-type]
            self.add_error(
                None,
                f"The arms' shares add up to {sum(shares.values())}%; make them 100%.",  # type: ignore[arg-type]
            )
        data["weights"] = shares
        return data

    def save(self, commit: bool = True) -> Experiment:
        experiment = Experiment.objects.get(pk=self.instance.pk)
        data = self.cleaned_data
        if data["traffic"] != experiment.traffic:
            experiment = services.experiment_set_traffic(
                experiment=experiment, traffic=data["traffic"]
            )
        weights = data.get("weights") or {}
        if weights != self.initial_shares:
            services.experiment_set_weights(experiment=experiment, weights=weights)
        # Name, hypothesis and CUPED (how results are read) have no invariants to guard.
        Experiment.objects.filter(pk=experiment.pk).update(
            name=data["name"],
            hypothesis=data.get("hypothesis") or "",
            cuped=data.get("cuped", experiment.cuped),
        )
        experiment.refresh_from_db()
        self.instance = experiment
        return experiment


class TrafficForm(forms.Form):
    traffic = traffic_field()


class PromoteForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Reason for promoting despite the harmed guardrail",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit log with your name.",
    )


class CalculatorForm(forms.Form):
    baseline = PercentField(
        label="Baseline conversion rate (%)",
        min_value=0.01,
        max_value=99.99,
        initial=0.03,
        help_text="How many visitors convert today, e.g. 3.",
    )
    minimum_detectable_effect = PercentField(
        label="Minimum detectable effect (%)",
        min_value=0.1,
        initial=0.1,
        help_text="The relative lift to detect: 10 finds a move from 3% to 3.3%.",
    )
    power = PercentField(
        label="Power (%)",
        min_value=50,
        max_value=99.9,
        initial=0.8,
        help_text="The chance of finding a real lift of that size (80 is usual).",
    )
    alpha = PercentField(
        label="Significance level (%)",
        min_value=0.1,
        max_value=20,
        initial=0.05,
        help_text="The risk of a false winner when there is no difference (5 is usual).",
    )
    arms = forms.IntegerField(label="Arms (incl. control)", min_value=2, max_value=20, initial=2)
    daily_visitors = forms.IntegerField(
        label="Eligible visitors per day",
        min_value=1,
        initial=5000,
        help_text="Visitors reaching the placement per day, before the traffic share.",
    )
    traffic = PercentField(label="Traffic (%)", min_value=0.01, max_value=100, initial=1.0)
