"""Snippet viewsets for components and placements (drafts, revisions, preview, locking,
workflows and localization come from the models' Wagtail mixins), configured by
attributes; the extra screens live in `admin_views.py`."""

from typing import Any

from django.db.models import QuerySet
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import HelpPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet, SnippetViewSetGroup

from content import selectors
from content.admin_views import (
    PERFORMANCE_URL_NAME,
    ComponentCreateView,
    ComponentEditView,
    PlacementPerformanceView,
    PlacementStatsRefreshView,
)
from content.forms import ComponentForm, PlacementForm, body_unknown_tokens
from content.models import Component, Placement
from content.placeholders import ALLOWED_TOKENS
from core.admin_menu import CONTENT_ORDER, PERSONALIZATION_MENU_HOOK, InPersonalizationMenu

# Content screens of other apps ("Preview as…") join the one Personalization menu.
CONTENT_MENU_HOOK = PERSONALIZATION_MENU_HOOK
PREVIEW_AS_URL_NAME = "content_preview_as"


class PlaceholderHelpPanel(HelpPanel):
    """The placeholders editors may use, and those in the saved version that will not
    resolve (the form warns again on every save)."""

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            unknown = []
            if self.instance is not None and self.instance.pk:
                unknown = body_unknown_tokens(self.instance.body.get_prep_value())
            allowed = format_html_join(
                " ",
                '<code style="white-space: nowrap">{{{{ {} }}}}</code>',
                ((name,) for name in sorted(ALLOWED_TOKENS)),
            )
            warning = (
                format_html(
                    '<p class="help-block help-warning">Unknown placeholders: {}</p>',
                    format_html_join(", ", "<code>{}</code>", ((token,) for token in unknown)),
                )
                if unknown
                else ""
            )
            self.content = format_html(
                "<p>Placeholders you can use in any text, with an optional default: "
                '<code>{{{{ visitor.first_name|default:"there" }}}}</code>. Allowed: {}</p>{}',
                allowed,
                warning,
            )


class ComponentViewSet(SnippetViewSet):
    model = Component
    icon = "doc-full-inverse"
    menu_label = "Components"
    list_display = ["name", "key", "kind", "locale", "live", "updated_at"]
    # The ORM (icontains) searches the list: the search index of snippets is not kept up
    # to date here and its SQLite full-text query fails on a field filter.
    search_fields = ["name", "key"]
    search_backend_name = None
    add_view_class = ComponentCreateView
    edit_view_class = ComponentEditView
    edit_handler = ObjectList(
        [PlaceholderHelpPanel(heading="Placeholders"), *Component.panels],
        base_form_class=ComponentForm,
    )


class PerformanceColumn(Column):
    """Impressions and CTR over all variants, linking to the performance page."""

    cell_template_name = "content/admin/cells/performance.html"

    def get_cell_context_data(self, instance: Placement, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        impressions = getattr(instance, "total_impressions", 0) or 0
        clicks = getattr(instance, "total_clicks", 0) or 0
        context["impressions"] = impressions
        context["ctr_percent"] = round(100 * clicks / impressions, 1) if impressions else None
        context["url"] = reverse(PERFORMANCE_URL_NAME, args=[instance.pk])
        return context


class PlacementIndexView(IndexView):
    def get_base_queryset(self) -> QuerySet[Placement]:
        return selectors.with_performance_totals(super().get_base_queryset())

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        if self.request.user.is_staff:  # the storefront previews for staff only
            buttons.append(
                Button("Preview as…", url=reverse(PREVIEW_AS_URL_NAME), icon_name="view")
            )
        return buttons

    def get_list_more_buttons(self, instance: Placement) -> list[Any]:
        return [
            *super().get_list_more_buttons(instance),
            Button(
                "Performance",
                url=reverse(PERFORMANCE_URL_NAME, args=[instance.pk]),
                icon_name="view",
                priority=25,
            ),
        ]


class PlacementViewSet(SnippetViewSet):
    model = Placement
    icon = "placeholder"
    menu_label = "Placements"
    index_view_class = PlacementIndexView
    list_display = [
        "name",
        "key",
        "live",
        PerformanceColumn("performance", label="Impressions · CTR"),
        "updated_at",
    ]
    search_fields = ["name"]
    edit_handler = ObjectList(Placement.panels, base_form_class=PlacementForm)

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path(
                "performance/<int:pk>/",
                self.construct_view(PlacementPerformanceView),
                name="performance",
            ),
            path(
                "performance/<int:pk>/refresh/",
                self.construct_view(PlacementStatsRefreshView),
                name="refresh_stats",
            ),
        ]


class StaffMenuItem(MenuItem):
    """A menu item shown to staff only."""

    def is_shown(self, request: Any) -> bool:
        return bool(request.user.is_staff)


class ContentViewSetGroup(InPersonalizationMenu, SnippetViewSetGroup):
    menu_label = "Personalized content"
    menu_order = CONTENT_ORDER
    items = (PlacementViewSet, ComponentViewSet)
