"""The rule builder as a form widget and field, for every editor of a rule in the segment
condition language: segment rules, placement variants' context conditions, trigger
conditions. The fields offered are the field registry's, with their labels and choices."""

import copy
from typing import Any

from django import forms
from django.urls import NoReverseMatch, reverse

from catalog.models import Product
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


def rule_vocabulary(*, segments: list[tuple[str, str]], preview: bool) -> dict[str, Any]:
    """What the rule builder offers: the field registry's fields with labels and choices,
    the ops, the segments to refer to, and the preview endpoint (empty: no count)."""
    preview_url = ""
    if preview:
        try:
            preview_url = reverse("segments:preview")
        except NoReverseMatch:
            preview_url = ""
    registry = current_registry().as_json(
        key_suggestions={"profile.interest.": _category_suggestions()}
    )
    return {
        **registry,
        "preview_url": preview_url,
        "ops": list(OPS),
        "event_leaf_ops": [op for op in OPS if op in EVENT_LEAF_OPS],
        "aggregates": list(AGGREGATES),
        "segments": [{"key": key, "name": label} for key, label in segments],
    }


def segment_choices(exclude_pk: int | None = None) -> list[tuple[str, str]]:
    """(key, name) of the segments a rule may refer to."""
    segments = Segment.objects.exclude(pk=exclude_pk) if exclude_pk else Segment.objects.all()
    return list(segments.order_by("key").values_list("key", "name"))


class RuleBuilderWidget(forms.Textarea):
    """A rule of the segment condition language (segment rules, variant context
    conditions, trigger conditions) as a JSON textarea, edited by
    `segments/rule-builder.js` (the textarea is shown as is when scripts are off, and
    behind "Edit JSON" when they are on).

    `preview` counts matching visitors as the rule changes (segments only);
    `empty_is_null` writes an empty builder as an empty field rather than
    `{"all": []}`; `kind_field`/`parent_field` name the segment form's fields the builder
    follows. `vocabulary_id` names a vocabulary the page carries once (several builders on
    one page, such as one per placement variant) instead of one per widget; see
    `rule_vocabulary`.
    """

    template_name = "segments/widgets/rule_builder.html"

    class Media:
        js = ["segments/rule-builder.js"]
        css = {"all": ["segments/rule-builder.css"]}

    def __init__(
        self,
        attrs: dict[str, Any] | None = None,
        *,
        preview: bool = True,
        empty_is_null: bool = False,
        kind_field: str = "",
        parent_field: str = "",
        vocabulary_id: str = "",
    ) -> None:
        super().__init__(attrs={"rows": 12, "class": "rule-builder__json", **(attrs or {})})
        self.segments: list[tuple[str, str]] | None = None
        self.preview = preview
        self.empty_is_null = empty_is_null
        self.kind_field = kind_field
        self.parent_field = parent_field
        self.vocabulary_id = vocabulary_id

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_id = context["widget"]["attrs"].get("id", name)
        context["widget"].update(
            builder_id=f"{widget_id}-builder",
            empty_is_null=self.empty_is_null,
            kind_field=self.kind_field,
            parent_field=self.parent_field,
        )
        if self.vocabulary_id:
            context["widget"]["vocabulary_id"] = self.vocabulary_id
            context["widget"]["vocabulary"] = None
        else:
            context["widget"]["vocabulary_id"] = f"{widget_id}-builder-vocabulary"
            segments = self.segments if self.segments is not None else segment_choices()
            context["widget"]["vocabulary"] = rule_vocabulary(
                segments=segments, preview=self.preview
            )
        return context


class RuleField(forms.JSONField):
    """A rule edited with the rule builder; an empty field is `empty_value` (`None`, or
    `{}` where the model stores "no condition" as an empty object)."""

    def __init__(self, *, empty_value: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", RuleBuilderWidget(preview=False, empty_is_null=True))
        kwargs.setdefault("required", False)
        super().__init__(empty_value=empty_value, **kwargs)  # CharField keeps it

    def to_python(self, value: Any) -> Any:
        converted = super().to_python(value)
        # A copy: the instance may change its rule in place.
        return copy.deepcopy(self.empty_value) if converted is None else converted
