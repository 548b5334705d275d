"""Admin forms of experiments. Create saves through `services.experiment_create`, edit
through `experiment_set_traffic` / `experiment_set_weights`; a refused change comes
back as an `ExperimentError` that `add_service_error` puts next to the fields it names."""

import json
import re
from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from content.models import Placement
from experiments import services
from experiments.models import Experiment
from tracking.event_validation import EVENT_TYPES

ARM_LINE = re.compile(r"^(?P<key>[-\w]+)\s+(?P<variant>[-\w]+)(?:\s+(?P<weight>\d+))?$")
ARM_FIELD = re.compile(r"^arms\[(\d+)\]\.(\w+)$")


def parse_arms(text: str) -> list[dict[str, Any]]:
    """`key variant [weight]` per line (weight 50 when left out); the first line is the
    control. Raises `ValidationError` naming the bad lines."""
    arms, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = ARM_LINE.match(line)
        if match is None:
            bad.append(f"line {number}: {line!r}")
            continue
        arms.append(
            {
                "key": match["key"],
                "variant": match["variant"],
                "weight": int(match["weight"] or 50),
                "control": not arms,
            }
        )
    if bad:
        raise forms.ValidationError(
            "Write one arm per line as 'key variant weight': " + "; ".join(bad)
        )
    return arms


def guardrail_choice(event: str) -> tuple[str, str]:
    moves = "rises" if services.guardrail_harm(event) == "increase" else "drops"
    return event, f"{event} (harmed if it {moves})"


def placement_variants() -> dict[str, list[str]]:
    """Variant keys by placement pk, for the arms hint next to the placement picker."""
    variants: dict[str, list[str]] = {}
    for placement in Placement.objects.prefetch_related("variants").order_by("key"):
        variants[str(placement.pk)] = [v.key for v in placement.variants.all()]
    return variants


class ServiceErrorMixin:
    def add_service_error(self, error: services.ExperimentError) -> None:
        """Show each `ExperimentError.fields` entry on its field (`arms[1].variant` and
        `goal.event` map to the `arms` and `goal_event` inputs)."""
        aliases = {"goal.event": "goal_event", "status": None, "weights": "weights"}
        for name, reason in error.fields.items():
            target: str | None = aliases.get(name, name)
            match = ARM_FIELD.match(name)
            if match:
                target, reason = "arms", f"line {int(match[1]) + 1} ({match[2]}): {reason}"
            elif name.startswith("weights."):
                target, reason = "weights", f"{name.removeprefix('weights.')}: {reason}"
            if target in self.fields:  # type: ignore[attr-defined]
                self.add_error(target, f"{error} ({reason})")  # type: ignore[attr-defined]
            else:
                self.add_error(None, f"{error} ({name}: {reason})")  # type: ignore[attr-defined]
        if not error.fields:
            self.add_error(None, str(error))  # type: ignore[attr-defined]


class ExperimentCreateForm(ServiceErrorMixin, WagtailAdminModelForm):
    arms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "data-experiment-arms": ""}),
        help_text=(
            "One arm per line: key, placement variant, weight (e.g. 'control a 50'). "
            "The first line is the control."
        ),
    )
    goal_event = forms.ChoiceField(
        choices=[(event, event) for event in sorted(EVENT_TYPES)], initial="purchase"
    )
    layer_key = forms.SlugField(
        label="Layer",
        required=False,
        help_text="Experiments of one layer never share a visitor (created when new).",
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
        widgets = {"hypothesis": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["placement"].widget.attrs["data-experiment-variants"] = json.dumps(
            placement_variants()
        )
        self.fields[
            "minimum_detectable_effect"
        ].help_text = "Smallest relative lift worth detecting (0.1 = 10%); sets the planned sample."

    def clean_arms(self) -> list[dict[str, Any]]:
        return parse_arms(self.cleaned_data["arms"])

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
    """What may change after creation: the wording, the traffic (any time) and the
    weights (drafts only: a running test's weights are fixed)."""

    weights = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One arm per line: key weight. Fixed once the experiment runs.",
    )

    class Meta:
        model = Experiment
        fields = ["name", "hypothesis", "traffic", "cuped"]
        widgets = {"hypothesis": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial_weights = {arm.key: arm.weight for arm in self.instance.arms.all()}
            self.fields["weights"].initial = "\n".join(
                f"{key} {weight}" for key, weight in self.initial_weights.items()
            )

    def clean_weights(self) -> dict[str, int]:
        weights, bad = {}, []
        for line in (self.cleaned_data.get("weights") or "").splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2 or not parts[1].isdigit():
                bad.append(line.strip())
                continue
            weights[parts[0]] = int(parts[1])
        if bad:
            raise forms.ValidationError("Write 'key weight' per line: " + "; ".join(bad))
        unknown = set(weights) - set(self.initial_weights)
        if unknown:
            raise forms.ValidationError(f"Unknown arms: {', '.join(sorted(unknown))}.")
        return weights

    def save(self, commit: bool = True) -> Experiment:
        experiment = Experiment.objects.get(pk=self.instance.pk)
        data = self.cleaned_data
        if data["traffic"] != experiment.traffic:
            experiment = services.experiment_set_traffic(
                experiment=experiment, traffic=data["traffic"]
            )
        weights = data.get("weights") or {}
        if any(self.initial_weights.get(key) != value for key, value in weights.items()):
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
    traffic = forms.FloatField(
        min_value=0.0001,
        max_value=1,
        help_text="Share of eligible visitors, 0 to 1. Enrolled visitors keep their arm.",
    )


class PromoteForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Reason for promoting despite the harmed guardrail",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit log with your name.",
    )


class CalculatorForm(forms.Form):
    baseline = forms.FloatField(
        label="Baseline conversion rate",
        min_value=0.0001,
        max_value=0.9999,
        initial=0.03,
        help_text="E.g. 0.03 for 3%.",
    )
    minimum_detectable_effect = forms.FloatField(
        label="Minimum detectable effect (relative)",
        min_value=0.001,
        initial=0.1,
        help_text="0.1 detects a 10% relative lift (3% → 3.3%).",
    )
    power = forms.FloatField(min_value=0.5, max_value=0.999, initial=0.8)
    alpha = forms.FloatField(
        label="Significance (alpha)", min_value=0.001, max_value=0.2, initial=0.05
    )
    arms = forms.IntegerField(label="Arms (incl. control)", min_value=2, max_value=20, initial=2)
    daily_visitors = forms.IntegerField(
        label="Eligible visitors per day",
        min_value=1,
        initial=5000,
        help_text="Visitors reaching the placement per day, before the traffic share.",
    )
    traffic = forms.FloatField(label="Traffic share", min_value=0.0001, max_value=1, initial=1.0)
