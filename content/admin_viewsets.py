"""Snippet viewsets for components and placements (drafts, revisions, preview, locking,
workflows and localization come from the models' Wagtail mixins)."""

from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from content.models import Component, Placement


class ComponentViewSet(SnippetViewSet):
    model = Component
    icon = "doc-full-inverse"
    menu_label = "Components"
    list_display = ["name", "key", "kind", "locale", "live", "updated_at"]
    search_fields = ["name"]


class PlacementViewSet(SnippetViewSet):
    model = Placement
    icon = "placeholder"
    menu_label = "Placements"
    list_display = ["name", "key", "live", "updated_at"]
    search_fields = ["name"]


class ContentViewSetGroup(SnippetViewSetGroup):
    menu_label = "Personalized content"
    menu_icon = "doc-full-inverse"
    menu_order = 150
    items = (ComponentViewSet, PlacementViewSet)
