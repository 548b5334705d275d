"""The trigger form: conditions with the rule builder, the wait and the frequency cap as
lengths of time."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from core.duration_field import DurationField
from segments.rule_widgets import RuleBuilderWidget, RuleField


class TriggerForm(WagtailAdminModelForm):
    """Validation stays with `services.trigger_errors` (through `Trigger.clean`), which
    names the failing node of the conditions."""

    conditions = RuleField(
        # The model stores "no conditions" as {}; the builder leaves the field empty.
        empty_value={},
        widget=RuleBuilderWidget(preview=False, empty_is_null=True),
        label="Only if",
        help_text="Conditions on the visitor when the trigger checks; empty: always. A value "
        'of "$entry.<property>" (Edit JSON) reads the entry event, e.g. "$entry.total".',
    )
    wait_seconds = DurationField(
        label="Wait",
        help_text="Check again this long after the entry event (0: at once).",
    )
    frequency_cap_seconds = DurationField(
        label="Per",
        help_text="At most that many firings per visitor in this period.",
    )
    frequency_cap_count = forms.IntegerField(
        min_value=0, label="At most", help_text="Firings per visitor (0: no cap)."
    )
