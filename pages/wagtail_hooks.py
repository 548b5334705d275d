from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from pages.models import PageVariant


class PageVariantViewSet(SnippetViewSet):
    model = PageVariant
    icon = "doc-full-inverse"
    menu_label = "Page variants"
    menu_name = "page-variants"
    add_to_admin_menu = True
    menu_order = 210
    list_display = ["name", "page", "key", "priority", "live"]
    list_filter = ["live"]
    search_fields = ["name", "key"]


register_snippet(PageVariantViewSet)
