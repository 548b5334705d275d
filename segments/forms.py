"""Admin forms of segments: the segment form (saved through `services.segment_save`), its
rule builder widget, and the overlap picker."""

from typing import Any

from django import forms
from django.urls import NoReverseMatch, reverse
from wagtail.admin.forms import WagtailAdminModelForm

from catalog.models import Product
from segments import services
from segments.conditions.language import AGGREGATES, EVENT_LEAF_OPS, OPS
from segments.field_registry import current_registry
from segments.models import Segment
from tracking.profile_state import category_levels

MAX_CATEGORY_SUGGESTIONS = 60


def _category_suggestions() -> list[str]:
    """Catalog categories and their parents, as interest keys (interest keys are lower case
    and a parent category collects its children's interest)."""
    categories = (
        Product.objects.order_by("category")
        .values_list("category", flat=True)
        .distinct()[:MAX_CATEGORY_SUGGESTIONS]
    )
    # The keys interest is stored under: each category and its parents, lower case.
    return list(dict.fromkeys(level for c in categories for level in category_levels(c)))


class RuleBuilderWidget(forms.Textarea):
    """The rule as a JSON textarea, edited by `segments/rule-builder.js` (the textarea is
    shown as is when scripts are off, and behind "Edit JSON" when they are on)."""

    template_name = "segments/widgets/rule_builder.html"

    class Media:
        js = ["segments/rule-builder.js"]
        css = {"all": ["segments/rule-builder.css"]}

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 12, "class": "rule-builder__json", **(attrs or {})})
        self.segments: list[tuple[str, str]] = []

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        try:
            preview_url = reverse("segments:preview")
        except NoReverseMatch:
            preview_url = ""
        widget_id = context["widget"]["attrs"].get("id", name)
        context["widget"]["builder_id"] = f"{widget_id}-builder"
        context["widget"]["vocabulary_id"] = f"{widget_id}-builder-vocabulary"
        registry = current_registry().as_json(
            key_suggestions={"profile.interest.": _category_suggestions()}
        )
        context["widget"]["vocabulary"] = {
            **registry,
            "preview_url": preview_url,
            "ops": list(OPS),
            "event_leaf_ops": [op for op in OPS if op in EVENT_LEAF_OPS],
            "aggregates": list(AGGREGATES),
            "segments": [{"key": key, "name": label} for key, label in self.segments],
        }
        return context


class SegmentForm(WagtailAdminModelForm):
    """Create or edit a segment; `save` goes through `services.segment_save`, the one write
    path, and `add_service_error` puts its `SegmentError.fields` next to the fields."""

    rule = forms.JSONField(
        required=False,
        widget=RuleBuilderWidget,
        help_text="Which visitors belong to the segment. Only rule segments have a rule.",
    )
    parent = forms.ModelChoiceField(
        queryset=Segment.objects.none(),
        to_field_name="key",
        required=False,
        help_text="A child segment refines its parent: members must match the parent too.",
    )

    class Meta:
        model = Segment
        fields = [
            "name",
            "key",
            "kind",
            "description",
            "parent",
            "rule",
            "is_active",
            "recompute_every_minutes",
            "placeholder_values",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "placeholder_values": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        others = Segment.objects.exclude(pk=self.instance.pk) if editing else Segment.objects.all()
        if "parent" in self.fields:
            self.fields["parent"].queryset = others.order_by("name")
            if self.instance.parent_id:
                # The field is keyed by segment key; the model's initial value is the pk.
                self.initial["parent"] = self.instance.parent.key
        if "rule" in self.fields:
            self.fields["rule"].widget.segments = list(
                others.order_by("key").values_list("key", "name")
            )
        if editing:
            # The key names the segment in rules, the API and templates; the kind decides
            # how members are made. Both are fixed once the segment exists.
            for name in ("key", "kind"):
                if name in self.fields:
                    self.fields[name].disabled = True
        elif "kind" in self.fields:
            # Cluster segments are made by the clustering run, not by hand.
            self.fields["kind"].choices = [
                (value, label)
                for value, label in Segment.Kind.choices
                if value != Segment.Kind.CLUSTER
            ]

    def save(self, commit: bool = True) -> Segment:
        """Save through `segment_save`; raises `SegmentError` for the view to report."""
        data = self.cleaned_data
        kind = data.get("kind") or self.instance.kind
        parent = data.get("parent")
        placeholder_values = data.get("placeholder_values")
        self.instance = services.segment_save(
            key=data.get("key") or self.instance.key,
            name=data["name"],
            kind=kind,
            rule=data.get("rule") if kind == Segment.Kind.RULE else None,
            parent_key=parent.key if parent else None,
            description=data.get("description") or "",
            recompute_every_minutes=data.get(
                "recompute_every_minutes", self.instance.recompute_every_minutes
            ),
            placeholder_values=placeholder_values if isinstance(placeholder_values, dict) else {},
            is_active=data.get("is_active", True),
            segment=self.instance if self.instance.pk else None,
            user=getattr(self, "for_user", None),
        )
        return self.instance

    def clean_placeholder_values(self) -> Any:
        value = self.cleaned_data.get("placeholder_values")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Enter an object such as {"discount_code": "VIP10"}.')
        return value

    def add_service_error(self, error: services.SegmentError) -> None:
        """Show a `SegmentError` on the fields it names (every rule error, by node path)."""
        rule_errors = error.fields.get("rule_errors") or []
        for name, reason in error.fields.items():
            if name == "rule_errors":
                continue
            if name in self.fields:
                self.add_error(name, str(reason))
            else:
                self.add_error(None, f"{name}: {reason}")
        for extra in rule_errors[1:]:
            self.add_error("rule", f"{extra['path'] or '(root)'}: {extra['reason']}")
        if not error.fields:
            self.add_error(None, str(error))


class OverlapForm(forms.Form):
    """Two segments to compare."""

    a = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"), to_field_name="key", label="Segment A"
    )
    b = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"), to_field_name="key", label="Segment B"
    )
