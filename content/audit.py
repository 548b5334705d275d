"""Audit trail of content publishing: who published which component or placement, when,
and what changed between the revision that was live before and the one published.

Wagtail logs "wagtail.publish" itself (user, time, revision) but without the content, and
its `published` signal does not carry the publishing user, so the audit entry is written
next to Wagtail's entry once that exists (wired in content/apps.py). Publishing through
the admin, a workflow, the scheduler or code (`revision.publish(user=...)`) is logged alike.
"""

from typing import Any

from wagtail.models import ModelLogEntry, Revision

from content.models import Component, Placement
from core.audit import record_change

PUBLISH_ACTION = "pz.content.publish"
# Labels and messages are registered in content/wagtail_hooks.py.
CONTENT_ACTIONS = {PUBLISH_ACTION: ("Publish content (audit)", "Published content changes")}

_LIVE_ACTIONS = ("wagtail.publish", "wagtail.unpublish", "wagtail.unpublish.scheduled")


def placement_state(placement: Placement) -> dict[str, Any]:
    """What a placement serves: its fields and one entry per variant, keyed by variant key
    so the diff names only the variants that changed, appeared or went away."""
    state: dict[str, Any] = {
        "name": placement.name,
        "key": placement.key,
        "description": placement.description,
    }
    for variant in placement.variants.all():
        state[f"variants.{variant.key}"] = {
            "component": variant.component.key if variant.component_id else None,
            "is_fallback": variant.is_fallback,
            "priority": variant.priority,
            "segments_any": sorted(s.key for s in variant.segments_any.all()),
            "segments_all": sorted(s.key for s in variant.segments_all.all()),
            "segments_none": sorted(s.key for s in variant.segments_none.all()),
            "context_rule": variant.context_rule,
            "starts_at": variant.starts_at,
            "ends_at": variant.ends_at,
        }
    return state


def component_state(component: Component) -> dict[str, Any]:
    """A component's fields and the fields of its one body block, one key per field."""
    state: dict[str, Any] = {"name": component.name, "key": component.key, "kind": ""}
    for child in component.body:  # each field, even one the stored data lacks
        state["kind"] = child.block_type
        value = child.block.get_prep_value(child.value)
        if isinstance(value, dict):
            state.update({f"body.{name}": item for name, item in value.items()})
        else:
            state["body"] = value
    return state


def _state(revision: Revision, obj: Component | Placement) -> dict[str, Any]:
    state = placement_state(obj) if isinstance(obj, Placement) else component_state(obj)
    return {"revision": revision.pk, **state}


def _previous_live_revision(entry: ModelLogEntry) -> Revision | None:
    """The revision live just before `entry` published another: the one the last earlier
    publish put live, unless the object was unpublished since (then nothing was live)."""
    previous = (
        ModelLogEntry.objects.filter(
            content_type_id=entry.content_type_id,
            object_id=entry.object_id,
            action__in=_LIVE_ACTIONS,
            pk__lt=entry.pk,
        )
        .order_by("-pk")
        .first()
    )
    if previous is None or previous.action != "wagtail.publish" or not previous.revision_id:
        return None
    return Revision.objects.filter(pk=previous.revision_id).first()


def record_publish(entry: ModelLogEntry) -> ModelLogEntry | None:
    """Audit Wagtail's publish `entry` of a component or placement: by the same user, with
    the changed fields of the previously live revision (before) and the published one
    (after). Entries of other models, or without their revision, are left alone."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model not in (Component, Placement) or not entry.revision_id:
        return None
    revision = Revision.objects.filter(pk=entry.revision_id).first()
    if revision is None:
        return None
    published = revision.as_object()
    previous = _previous_live_revision(entry)
    return record_change(
        instance=published,
        action=PUBLISH_ACTION,
        user=entry.user,
        before=_state(previous, previous.as_object()) if previous else {},
        after=_state(revision, published),
    )
