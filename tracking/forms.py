"""Admin forms of the shop's own event types and customer attributes: plain text fields
(one property or choice per line) parsed here, saved through `tracking.definitions`."""

from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from tracking import definitions
from tracking.event_validation import PROPERTY_TYPES
from tracking.models import AttributeDefinition, EventTypeDefinition


def parse_properties(text: str) -> dict[str, str]:
    """`name: type` per line (`price: number`) as a property schema."""
    schema: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, _, kind = line.partition(":")
        kind = kind.strip().lower() or "string"
        if kind not in PROPERTY_TYPES:
            raise forms.ValidationError(
                f"Line {number}: the type is one of {', '.join(PROPERTY_TYPES)}."
            )
        schema[name.strip()] = kind
    return schema


class EventTypeDefinitionForm(WagtailAdminModelForm):
    properties_text = forms.CharField(
        label="Properties",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": "product_id: string\nprice: number"}
        ),
        help_text="One per line as name: type, where type is string, number, boolean or "
        "date. Properties not listed are kept as text.",
    )

    class Meta:
        model = EventTypeDefinition
        fields = ["name", "label"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["name"].disabled = True
            self.fields["properties_text"].initial = "\n".join(
                f"{name}: {kind}" for name, kind in self.instance.properties.items()
            )

    def clean_properties_text(self) -> dict[str, str]:
        return parse_properties(self.cleaned_data.get("properties_text") or "")

    def save_definition(self, user: Any) -> EventTypeDefinition:
        data = self.cleaned_data
        try:
            if self.instance.pk:
                return definitions.event_type_update(
                    definition=self.instance,
                    properties=data["properties_text"],
                    label=data.get("label", ""),
                    user=user,
                )
            return definitions.event_type_register(
                name=data["name"],
                properties=data["properties_text"],
                label=data.get("label", ""),
                user=user,
            )
        except definitions.DefinitionError as exc:
            for name, reason in exc.fields.items():
                self.add_error("name" if name == "name" else "properties_text", reason)
            raise


class AttributeDefinitionForm(WagtailAdminModelForm):
    choices_text = forms.CharField(
        label="Allowed values",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "gold\nsilver\nbronze"}),
        help_text="One per line; empty: any value of the type. Text and number only.",
    )

    class Meta:
        model = AttributeDefinition
        fields = ["key", "label", "type"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["choices_text"].initial = "\n".join(
                str(value) for value in self.instance.choices
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("type")
        lines = [line.strip() for line in (data.get("choices_text") or "").splitlines()]
        values: list[Any] = []
        for line in filter(None, lines):
            if kind == "number":
                try:
                    values.append(float(line) if "." in line else int(line))
                except ValueError:
                    self.add_error("choices_text", f"{line!r} is not a number.")
            else:
                values.append(line)
        data["choices_text"] = values
        return data

    def save_definition(self, user: Any) -> AttributeDefinition:
        data = self.cleaned_data
        try:
            return definitions.attribute_define(
                key=data["key"],
                type=data["type"],
                label=data.get("label", ""),
                choices=data["choices_text"],
                replace=bool(self.instance.pk),
                user=user,
            )
        except definitions.DefinitionError as exc:
            for name, reason in exc.fields.items():
                self.add_error(name if name in self.fields else "choices_text", reason)
            raise
