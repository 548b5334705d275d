"""Placeholder tiles and labels of categories."""

from django.contrib.staticfiles import finders

from storefront.category_display import (
    HUE_STEP,
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
    assert category_hue("outdoor/tents") % HUE_STEP == 0


def test_the_stylesheet_has_a_class_for_every_hue() -> None:
    stylesheet = finders.find("storefront/shop.css")
    assert stylesheet
    with open(stylesheet, encoding="utf-8") as f:
        css = f.read()
    for hue in range(0, 360, HUE_STEP):
        assert f".hue-{hue} {{ --hue: {hue}; }}" in css
