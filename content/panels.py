"""Panels of the placement editor: who sees what at the top, each variant collapsed to its
summary line, and segments chosen from a searchable checkbox list."""

from typing import Any

from django import forms
from wagtail.admin.panels import HelpPanel, InlinePanel

from content.placement_summary import variant_line, who_sees_what
from segments.rule_widgets import RuleBuilderWidget, rule_vocabulary, segment_choices

# The variants' rule builders share one vocabulary, carried once by the inline panel.
VARIANT_RULE_VOCABULARY_ID = "variant-rule-vocabulary"


def variant_context_rule_widget() -> RuleBuilderWidget:
    """The rule builder of a variant's context condition (no audience count: a context
    condition reads the request, so no stored visitors match it)."""
    return RuleBuilderWidget(
        preview=False, empty_is_null=True, vocabulary_id=VARIANT_RULE_VOCABULARY_ID
    )


class SearchableCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes with a filter box above them (for lists of segments)."""

    template_name = "content/widgets/searchable_checkboxes.html"

    class Media:
        js = ["content/admin/searchable_checkboxes.js"]


class WhoSeesWhatPanel(HelpPanel):
    """The placement's audiences and what each sees, in the order they are tried."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("template", "content/admin/panels/who_sees_what.html")
        super().__init__(**kwargs)

    class BoundPanel(HelpPanel.BoundPanel):
        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            variants = list(self.instance.variants.all()) if self.instance is not None else []
            context["lines"] = who_sees_what(variants)
            return context


class VariantsInlinePanel(InlinePanel):
    """The variants, each headed by its summary line ("Champions → VIP hero"); saved
    variants without errors start collapsed to that line."""

    class BoundPanel(InlinePanel.BoundPanel):
        template_name = "content/admin/panels/variants_inline_panel.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            rows = []
            for child in self.children:
                variant = child.instance
                saved = bool(variant is not None and variant.pk and variant.component_id)
                summary = variant_line(variant) if saved else ""
                rows.append((child, summary, saved and not child.form.errors))
            context["variant_rows"] = rows
            context["rule_vocabulary_id"] = VARIANT_RULE_VOCABULARY_ID
            context["rule_vocabulary"] = rule_vocabulary(segments=segment_choices(), preview=False)
            return context
