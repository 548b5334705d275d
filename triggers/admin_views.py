"""Admin views beyond CRUD: the dry run (test-fire) and enable/disable."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.views.generic.base import BaseOperationView, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from core.permissions import can_view_visitor_data
from segments.models import Segment
from segments.selectors import segment_members
from tracking.models import VisitorProfile
from tracking.selectors import find_profile, recent_profiles, visitor_name, visitor_names
from triggers import selectors, services
from triggers.models import Trigger

RECENT_FIRINGS = 20
# Visitors offered for the dry run: the latest seen, or the first members of a segment.
PICKABLE_VISITORS = 10
# Higher apps add sections to the results page (insights: contacted vs control).
RESULTS_SECTIONS_HOOK = "pz_trigger_results_sections"


@dataclass(frozen=True)
class PickableVisitor:
    visitor_id: str
    name: str
    last_seen: datetime | None


def pickable(profiles: Iterable[VisitorProfile]) -> list[PickableVisitor]:
    return [PickableVisitor(p.visitor_id, visitor_name(p), p.last_seen) for p in profiles]


def action_in_words(trigger: Trigger, action: dict[str, Any] | None) -> str:
    """What the dry run's action would do, as a sentence."""
    if not action:
        return "Nothing would be done."
    if action.get("error"):
        return f"It could not act: {action['error']}."
    kind = action.get("type")
    if kind == Trigger.Action.EMAIL:
        to = action.get("to") or "nobody (no e-mail address is known)"
        return f"It would send the e-mail “{action.get('subject') or '(no subject)'}” to {to}."
    if kind == Trigger.Action.ONSITE:
        popup = trigger.popup.name if trigger.popup else "a pop-up"
        return f"It would show the pop-up “{popup}” on their next page."
    if kind == Trigger.Action.WEBHOOK:
        return f"It would call the webhook {action.get('url')}."
    segment = trigger.segment.name if trigger.segment else "a segment"
    if kind == Trigger.Action.SEGMENT_REMOVE:
        return f"It would remove them from the segment “{segment}”."
    return f"It would add them to the segment “{segment}”."


class TriggerDryRunView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """What firing the trigger for one visitor now would do. The visitor is picked by
    customer id or e-mail (`?visitor=`), from the latest visitors or from a segment's
    members (links carry `?visitor_id=`). The dry run (e-mail, first name) and the firing
    log (visitor ids) are individual visitors: only roles that may view visitor data get
    them, like the API; others see the counts."""

    model = Trigger
    any_permission_required = ["change", "view"]
    template_name = "triggers/admin/dry_run.html"
    page_title = "Test-fire"
    header_icon = "bolt"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.trigger = get_object_or_404(Trigger, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.trigger)

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse("triggers:index"), "label": "Triggers"},
            {"url": reverse("triggers:edit", args=[self.trigger.pk]), "label": str(self.trigger)},
            {"url": "", "label": "Results and test-fire"},
        ]

    def picked_visitor(self) -> PickableVisitor | None:
        """The visitor of a picked link (`?visitor_id=`, which may have no profile yet)
        or of a search by customer id or e-mail (`?visitor=`)."""
        visitor_id = (self.request.GET.get("visitor_id") or "").strip()[:64]
        query = (self.request.GET.get("visitor") or "").strip()[:254]
        profile = find_profile(visitor_id or query) if visitor_id or query else None
        if profile is not None:
            return pickable([profile])[0]
        return PickableVisitor(visitor_id, "Anonymous visitor", None) if visitor_id else None

    def visitor_context(self) -> dict[str, Any]:
        """The picker (search, latest visitors, a segment's members) and the dry run."""
        get = self.request.GET
        segments = Segment.objects.filter(is_active=True).order_by("name")
        chosen = get.get("segment", "")
        segment = segments.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        members: list[PickableVisitor] = []
        if segment is not None:
            ids = list(
                segment_members(segment).values_list("visitor_id", flat=True)[:PICKABLE_VISITORS]
            )
            members = pickable(
                VisitorProfile.objects.filter(visitor_id__in=ids).order_by("-last_seen")
            )
        picked = self.picked_visitor()
        report = (
            services.dry_run(trigger=self.trigger, visitor_id=picked.visitor_id) if picked else None
        )
        return {
            "visitor_query": get.get("visitor", ""),
            "segments": segments,
            "segment": segment,
            "members": members,
            "recent": pickable(recent_profiles(PICKABLE_VISITORS)),
            "picked": picked,
            "not_found": bool(get.get("visitor", "").strip()) and picked is None,
            "report": report,
            "action_words": action_in_words(self.trigger, report["action"]) if report else "",
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        allowed = can_view_visitor_data(self.request.user)
        context["trigger"] = self.trigger
        context["can_view_visitors"] = allowed
        if allowed:
            context.update(self.visitor_context())
        context["stats"] = selectors.trigger_stats([self.trigger.pk])[self.trigger.pk]
        firings = list(selectors.firing_log(self.trigger)[:RECENT_FIRINGS]) if allowed else []
        names = visitor_names({firing.visitor_id for firing in firings})
        # Each firing with its visitor's name (a visitor without a profile is anonymous).
        context["firings"] = [
            (firing, names.get(firing.visitor_id, "Anonymous visitor")) for firing in firings
        ]
        context["extra_sections"] = [
            section(self.request, self.trigger)
            for section in hooks.get_hooks(RESULTS_SECTIONS_HOOK)
        ]
        return context


class TriggerToggleView(PermissionCheckedMixin, BaseOperationView):
    """POST: enable a disabled trigger or disable an enabled one."""

    model = Trigger
    permission_required = "change"
    success_url_name = "triggers:dry_run"

    def perform_operation(self) -> None:
        try:
            trigger = services.trigger_set_enabled(
                trigger=self.object, enabled=not self.object.enabled, user=self.request.user
            )
        except services.TriggerError as exc:
            # Enabling an incomplete draft (a built-in waiting for its pop-up) is refused.
            self.object.refresh_from_db()
            reasons = "; ".join(str(reason) for reason in exc.fields.values())
            messages.error(self.request, f"'{self.object}' was not enabled: {reasons}")
            self.success_message = None
            return
        self.success_message = f"'{trigger}' is {'enabled' if trigger.enabled else 'disabled'}."
