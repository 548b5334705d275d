"""A trigger in words for the admin: its entry event, its wait and its frequency cap, and
why a firing ended as it did."""

from core import clock
from core.formatting import duration
from segments.field_registry import current_registry
from triggers.models import Firing, Trigger


def entry_event_text(trigger: Trigger) -> str:
    """The entry event's label in the field registry ("Add to cart"), or "periodic sweep"."""
    if not trigger.entry_event:
        return "–" if trigger.kind == Trigger.Kind.EVENT else "periodic sweep"
    labels = {str(choice.value): choice.label for choice in current_registry().event_types}
    return labels.get(trigger.entry_event, trigger.entry_event)


def wait_text(trigger: Trigger) -> str:
    """ "At once" or "after 30 minutes"."""
    return f"after {duration(trigger.wait_seconds)}" if trigger.wait_seconds else "at once"


def frequency_cap_text(trigger: Trigger) -> str:
    """ "1 per 7 days" (per visitor), or "no cap"."""
    if not trigger.frequency_cap_count or not trigger.frequency_cap_seconds:
        return "no cap"
    return f"{trigger.frequency_cap_count} per {duration(trigger.frequency_cap_seconds)}"


def firing_reason_text(firing: Firing) -> str:
    """Why a firing is where it is: the recorded reason, or for a firing without one what
    its status means ("Waiting until 9 Dec, 10:30", "Conditions met: acted on")."""
    if firing.reason:
        return firing.reason[:1].upper() + firing.reason[1:]
    if firing.status == Firing.Status.PENDING:
        due = clock.localtime(firing.due_at)
        return f"Waiting until {due:%-d %b, %H:%M}"
    if firing.status == Firing.Status.FIRED:
        return "Conditions met: acted on"
    return "–"
