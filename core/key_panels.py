"""Name and key fields of admin forms: the key is filled from the name, as Wagtail fills
a page's slug from its title."""

from typing import Any

from wagtail.admin.panels import FieldPanel, TitleFieldPanel
from wagtail.admin.widgets.slug import SlugInput


class NameToKeyPanel(TitleFieldPanel):
    """A name field that fills the `key` field from it while something is being created
    (Wagtail's title-to-slug sync); an existing key never changes with its name, as the
    API and the shop use it."""

    def __init__(self, field_name: str = "name", **kwargs: Any) -> None:
        kwargs.setdefault("targets", ["key"])
        kwargs.setdefault("placeholder", False)
        kwargs.setdefault("classname", "")
        super().__init__(field_name, **kwargs)

    class BoundPanel(TitleFieldPanel.BoundPanel):
        def get_should_apply(self) -> bool:
            return self.instance is None or not self.instance.pk


def KeyPanel(field_name: str = "key", **kwargs: Any) -> FieldPanel:  # noqa: N802 - a panel
    """The key field, filled from the name (see NameToKeyPanel)."""
    return FieldPanel(field_name, widget=SlugInput, **kwargs)
