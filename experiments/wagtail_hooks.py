from typing import Any

from wagtail import hooks
from wagtail.log_actions import LogFormatter

from core.audit import register_change_actions
from experiments.admin_viewsets import ExperimentsViewSetGroup
from experiments.audit import EXPERIMENT_ACTIONS


@hooks.register("register_admin_viewset")
def register_experiments_viewsets() -> ExperimentsViewSetGroup:
    return ExperimentsViewSetGroup()


class GuardrailOverrideFormatter(LogFormatter):
    """A promotion over a harmed guardrail shows which guardrail and the editor's reason."""

    label = "Promote despite guardrail harm"

    def format_message(self, log_entry: Any) -> str:
        override = ((log_entry.data or {}).get("after") or {}).get("guardrail_override") or {}
        harmed = ", ".join(override.get("harmed") or [])
        return (
            f"Winner promoted over the harmed guardrail {harmed}. Reason: {override.get('reason')}"
        )


@hooks.register("register_log_actions")
def register_experiment_log_actions(actions: Any) -> None:
    register_change_actions(actions, EXPERIMENT_ACTIONS)
    actions.register_action("pz.experiment.promote_override")(GuardrailOverrideFormatter)
