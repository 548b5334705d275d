import pytest

from segments.conditions import InvalidDuration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1_800),
        ("1h", 3_600),
        ("7d", 604_800),
        ("2w", 1_209_600),
        ("730d", 730 * 86_400),
        ("104w", 104 * 604_800),
    ],
)
def test_valid_durations_parse_to_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "0h",
        "0s",
        "-1h",
        "+1h",
        "1",
        "h",
        "",
        " 1h",
        "1h ",
        "1h\n",
        "1H",
        "1.5h",
        "01h",
        "1y",
        "1h30m",
        "١h",  # a non-ASCII digit
        "731d",
        "105w",
        "9999999999d",
    ],
)
def test_invalid_durations_are_rejected(text: str) -> None:
    with pytest.raises(InvalidDuration):
        parse_duration(text)


@pytest.mark.parametrize("value", [None, 3600, 1.5, ["1h"], {"h": 1}])
def test_non_strings_are_rejected(value: object) -> None:
    with pytest.raises(InvalidDuration):
        parse_duration(value)


def test_invalid_duration_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(90, "90s"), (1_800, "30m"), (3_600, "1h"), (86_400, "1d"), (1_209_600, "2w")],
)
def test_format_duration_uses_the_largest_exact_unit(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(format_duration(seconds)) == seconds
