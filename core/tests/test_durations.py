"""Lengths of time as marketers read and enter them: "30 minutes", "7 days"."""

import pytest
from django.core.exceptions import ValidationError

from core.duration_field import DurationField, DurationWidget
from core.formatting import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30 * 60, "30 minutes"),
        (7 * 86_400, "7 days"),
        (3600, "1 hour"),
        (90 * 60, "90 minutes"),
        (45, "45 seconds"),
        (0, "0 minutes"),
        (None, "–"),
    ],
)
def test_duration_is_words_in_the_largest_exact_unit(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("count", "unit", "seconds"),
    [("30", "minute", 1800), ("2", "hour", 7200), ("7", "day", 604_800), ("1", "week", 604_800)],
)
def test_the_field_turns_a_count_and_a_unit_into_seconds(count, unit, seconds):
    assert DurationField().clean([count, unit]) == seconds


REFUSALS = "whole number|greater than|valid choice|required"


def test_the_field_refuses_what_is_no_whole_number_or_unit():
    field = DurationField()
    for value in (["-1", "minute"], ["1.5", "hour"], ["3", "fortnight"], ["", "day"]):
        with pytest.raises(ValidationError, match=REFUSALS):
            field.clean(value)


def test_the_widget_shows_a_stored_value_in_its_largest_exact_unit():
    widget = DurationWidget()
    assert widget.decompress(1800) == [30, "minute"]
    assert widget.decompress(604_800) == [7, "day"]
    assert widget.decompress(None) == [None, "minute"]
    html = widget.render("wait", 7200, attrs={"id": "id_wait"})
    assert 'name="wait_0" value="2"' in html
    assert '<option value="hour" selected>hours</option>' in html
    assert 'class="pz-duration"' in html


def test_the_field_refuses_a_huge_duration_in_words():
    field = DurationField()
    assert field.clean(["3650", "day"]) == 3650 * 86_400
    for value in (["3651", "day"], ["99999999999999999999", "minute"]):
        with pytest.raises(ValidationError, match=r"At most 3,650 days \(10 years\)"):
            field.clean(value)
