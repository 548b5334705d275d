"""The one "Personalization" menu of the admin. Each app's viewsets appear in it (flat, with
icons, grouped by `menu_order`: segments, content, experiments, triggers, recommendations,
audience, reports) instead of a top-level menu per app."""

from functools import partial
from typing import Any

from wagtail import hooks
from wagtail.admin.menu import WagtailMenuRegisterableGroup

PERSONALIZATION_MENU_HOOK = "register_personalization_menu_item"

# Where each section starts in the menu; its items follow in the group's order.
SEGMENTS_ORDER = 100
CONTENT_ORDER = 200
EXPERIMENTS_ORDER = 300
TRIGGERS_ORDER = 400
RECOMMENDATIONS_ORDER = 500
AUDIENCE_ORDER = 600
REPORTS_ORDER = 700


class PersonalizationMenu(WagtailMenuRegisterableGroup):
    menu_label = "Personalization"
    menu_name = "personalization"
    menu_icon = "crosshairs"
    menu_order = 150
    submenu_hook = PERSONALIZATION_MENU_HOOK


class InPersonalizationMenu:
    """For a viewset group: its viewsets' menu items go into the Personalization menu,
    from `menu_order` on, instead of a submenu of the group's own."""

    menu_order: int
    registerables: list[Any]

    def register_menu_item(self) -> None:
        for position, registerable in enumerate(self.registerables):
            get_item = partial(registerable.get_menu_item, order=self.menu_order + position)
            hooks.register(PERSONALIZATION_MENU_HOOK, get_item)
