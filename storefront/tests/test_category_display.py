"""Placeholder tiles and labels of categories."""

from storefront.category_display import (
    category_ancestors,
    category_hue,
    category_initials,
    category_label,
)


def test_category_display() -> None:
    assert category_initials("home/lighting") == "HL"
    assert category_initials("kitchen") == "KI"
    assert category_initials("") == "?"
    assert category_label("home/wall-art") == "Wall Art"
    assert category_ancestors("home/lighting/desk") == ["home", "home/lighting"]
    assert category_ancestors("home") == []
    assert category_hue("home/lighting") == category_hue("Home/Lighting ")
    assert 0 <= category_hue("outdoor/tents") < 360
