"""One "Personalization" menu holds every personalization screen, each with an icon,
instead of a top-level menu per app."""

import json

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db


def sidebar_menu(client) -> list[dict]:
    html = client.get("/admin/").content.decode()
    props = BeautifulSoup(html, "html.parser").find(id="wagtail-sidebar-props")
    modules = json.loads(props.text)["modules"]
    main = next(m for m in modules if m["_type"] == "wagtail.sidebar.MainMenuModule")
    return main["_args"][0]


def test_personalization_is_one_menu_with_an_icon_per_screen(admin_client):
    top = sidebar_menu(admin_client)
    top_labels = [item["_args"][0]["label"] for item in top]
    assert "Personalization" in top_labels
    for old in ("Segments", "Experiments", "Audience", "Automation", "Recommenders"):
        assert old not in top_labels
    assert "Personalized content" not in top_labels

    menu = next(item for item in top if item["_args"][0]["label"] == "Personalization")
    children = [child["_args"][0] for child in menu["_args"][1]]
    labels = [child["label"] for child in children]
    assert labels[:4] == ["Segments", "Clustering runs", "Placements", "Components"]
    for label in ("Preview as…", "Experiments", "Triggers", "Email templates", "Recommenders"):
        assert label in labels
    assert labels[-3:] == ["Visitors", "Events", "Personalization results"]
    assert labels.index("Page variants") > labels.index("Components")
    for moved in ("Page variants", "Personalization results"):
        assert moved not in top_labels
    assert all(child["icon_name"] for child in children), children
