"""Admin forms of segments: the segment form (saved through `services.segment_save`) with
its rule builder (`segments.rule_widgets`), and the overlap picker."""

from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from segments import services
from segments.models import Segment
from segments.rule_widgets import RuleBuilderWidget, segment_choices


class SegmentForm(WagtailAdminModelForm):
    """Create or edit a segment; `save` goes through `services.segment_save`, the one write
    path, and `add_service_error` puts its `SegmentError.fields` next to the fields."""

    rule = forms.JSONField(
        required=False,
        widget=RuleBuilderWidget(kind_field="kind", parent_field="parent"),
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
            self.fields["rule"].widget.segments = segment_choices(self.instance.pk)
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
