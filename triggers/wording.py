"""A trigger's timing in words for the admin: its wait and its frequency cap."""

from core.formatting import duration
from triggers.models import Trigger


def wait_text(trigger: Trigger) -> str:
    """ "At once" or "after 30 minutes"."""
    return f"after {duration(trigger.wait_seconds)}" if trigger.wait_seconds else "at once"


def frequency_cap_text(trigger: Trigger) -> str:
    """ "1 per 7 days" (per visitor), or "no cap"."""
    if not trigger.frequency_cap_count or not trigger.frequency_cap_seconds:
        return "no cap"
    return f"{trigger.frequency_cap_count} per {duration(trigger.frequency_cap_seconds)}"
