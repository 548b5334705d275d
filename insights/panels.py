"""The personalization dashboard's panels on the Wagtail admin home (registered with
`construct_homepage_panels`); figures from `insights.dashboard`."""

from collections.abc import Callable
from typing import Any

from wagtail.admin.ui.components import Component

from insights import dashboard


class InsightsPanel(Component):
    """One panel: a title, a template, and the function that reads its figures."""

    def __init__(self, name: str, title: str, order: int, read: Callable[[], Any]) -> None:
        self.name, self.title, self.order, self.read = name, title, order, read
        self.template_name = f"insights/panels/{name}.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        return {"panel": self, "data": self.read()}


PANELS = (
    ("uplift", "What personalization earns (last 30 days)", dashboard.uplift_panel),
    ("experiments", "Running experiments", dashboard.experiments_panel),
    ("placements", "Placements: targeted vs fallback", dashboard.placements_panel),
    ("segments", "Segments that moved most (7 days)", dashboard.segments_panel),
    ("triggers", "Triggers: contacted vs control", dashboard.triggers_panel),
    ("freshness", "Data freshness", dashboard.freshness_panel),
)


def dashboard_panels() -> list[InsightsPanel]:
    return [
        InsightsPanel(name, title, 10 * (index + 1), read)
        for index, (name, title, read) in enumerate(PANELS)
    ]
