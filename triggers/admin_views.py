"""Admin views beyond CRUD: the dry run (test-fire) and enable/disable."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.views.generic.base import BaseOperationView, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from core.permissions import can_view_visitor_data
from triggers import selectors, services
from triggers.models import Trigger

RECENT_FIRINGS = 20
# Higher apps add sections to the results page (insights: contacted vs control).
RESULTS_SECTIONS_HOOK = "pz_trigger_results_sections"


class TriggerDryRunView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET ?visitor_id=...: what firing the trigger for that visitor now would do. The
    dry run (e-mail, first name) and the firing log (visitor ids) are individual visitors:
    only roles that may view visitor data get them, like the API; others see the counts."""

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

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        allowed = can_view_visitor_data(self.request.user)
        visitor_id = (self.request.GET.get("visitor_id") or "").strip()[:64] if allowed else ""
        context["trigger"] = self.trigger
        context["can_view_visitors"] = allowed
        context["visitor_id"] = visitor_id
        context["report"] = (
            services.dry_run(trigger=self.trigger, visitor_id=visitor_id) if visitor_id else None
        )
        context["stats"] = selectors.trigger_stats([self.trigger.pk])[self.trigger.pk]
        context["firings"] = selectors.firing_log(self.trigger)[:RECENT_FIRINGS] if allowed else []
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
