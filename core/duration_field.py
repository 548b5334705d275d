"""A length of time entered as a number and a unit ("30" "minutes", "7" "days") and stored
as whole seconds, so no admin form asks marketers for a number of seconds."""

from typing import Any

from django import forms

from core.formatting import DURATION_UNITS, duration_parts

UNIT_SECONDS = dict(DURATION_UNITS) | {"week": 7 * 86_400}
# Longer than anything a wait or a cap needs, and inside a 32-bit integer column: beyond
# it the database's own bound ("less than or equal to 9223372036854775807") spoke instead.
MAX_DAYS = 3650
MAX_SECONDS = MAX_DAYS * 86_400

UNIT_CHOICES = [
    ("minute", "minutes"),
    ("hour", "hours"),
    ("day", "days"),
    ("week", "weeks"),
    ("second", "seconds"),
]


class DurationWidget(forms.MultiWidget):
    """A number box and a unit select side by side."""

    template_name = "core/widgets/duration.html"

    class Media:
        css = {"all": ["core/duration.css"]}

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            [
                forms.NumberInput(attrs={"min": 0, "step": 1, "class": "pz-duration__count"}),
                forms.Select(
                    choices=UNIT_CHOICES, attrs={"class": "pz-duration__unit", "aria-label": "Unit"}
                ),
            ],
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if value in (None, ""):
            return [None, "minute"]
        return list(duration_parts(int(value)))


class DurationField(forms.MultiValueField):
    """Whole seconds, from a count and a unit."""

    widget = DurationWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = (
            forms.IntegerField(min_value=0, error_messages={"invalid": "Enter a whole number."}),
            forms.ChoiceField(choices=UNIT_CHOICES),
        )
        kwargs.setdefault("require_all_fields", True)
        super().__init__(fields, **kwargs)

    def compress(self, data_list: list[Any]) -> int | None:
        if not data_list or data_list[0] in (None, ""):
            return None
        seconds = int(data_list[0]) * UNIT_SECONDS[data_list[1]]
        if seconds > MAX_SECONDS:
            raise forms.ValidationError(f"At most {MAX_DAYS:,} days (10 years).", code="max_value")
        return seconds
