from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.admin_menu import CONTENT_ORDER, InPersonalizationMenu
from pages.models import PageVariant


class PageVariantViewSet(SnippetViewSet):
    model = PageVariant
    icon = "doc-full-inverse"
    menu_label = "Page variants"
    menu_name = "page-variants"
    list_display = ["name", "page", "key", "priority", "live"]
    list_filter = ["live"]
    search_fields = ["name", "key"]


class PageVariantViewSetGroup(InPersonalizationMenu, SnippetViewSetGroup):
    """Page variants sit with the personalized content, not in a top-level menu."""

    menu_label = "Page variants"
    menu_order = CONTENT_ORDER + 50
    items = (PageVariantViewSet,)


register_snippet(PageVariantViewSetGroup)
