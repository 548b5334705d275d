"""Writes of triggers: match ingested events, wait, decide under caps, act, deliver.

Split by concern: `occurrences` (where occurrences come from), `decisions` (the checks
and the at-most-once firing), `actions` (what a firing does and its delivery) and
`configuration` (the write path: save, delete, enable/disable, with validation and
audit). Callers import from here.
"""

from triggers.matching import Entry
from triggers.services.actions import (
    DeliveryOutcome,
    deliver,
    onsite_message_shown,
    placeholder_values,
    render_action,
    webhook_body,
)
from triggers.services.configuration import (
    AUDITED_FIELDS,
    TriggerError,
    forget_trigger_catalog,
    record_trigger_change,
    trigger_delete,
    trigger_errors,
    trigger_save,
    trigger_set_enabled,
    trigger_snapshot,
    webhook_policy,
)
from triggers.services.decisions import (
    FactsCache,
    Occurrence,
    assess,
    decide_and_fire,
    decide_occurrences,
    dry_run,
    store_zone,
)
from triggers.services.occurrences import (
    check_firing,
    check_firings,
    handle_ingested,
    move_visitor,
    process_due_firings,
    run_sweeps,
    start_waits,
)

__all__ = [
    "AUDITED_FIELDS",
    "DeliveryOutcome",
    "Entry",
    "FactsCache",
    "Occurrence",
    "assess",
    "check_firing",
    "check_firings",
    "decide_and_fire",
    "decide_occurrences",
    "deliver",
    "dry_run",
    "forget_trigger_catalog",
    "handle_ingested",
    "move_visitor",
    "onsite_message_shown",
    "placeholder_values",
    "process_due_firings",
    "record_trigger_change",
    "render_action",
    "run_sweeps",
    "start_waits",
    "store_zone",
    "TriggerError",
    "trigger_delete",
    "trigger_errors",
    "trigger_save",
    "trigger_set_enabled",
    "trigger_snapshot",
    "webhook_body",
    "webhook_policy",
]
