"""Wagtail admin screens of triggers, email templates and the firing log, configured by
attributes; the test-fire page shows counts, conversions and the dry run."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import SnippetViewSet

from core.admin_menu import PERSONALIZATION_MENU_HOOK, TRIGGERS_ORDER, InPersonalizationMenu
from core.admin_permissions import ViewOnlyPermissionPolicy
from core.key_panels import KeyPanel, NameToKeyPanel
from core.permissions import can_view_visitor_data
from segments.field_registry import current_registry
from tracking.selectors import visitor_names
from triggers import selectors, services
from triggers.admin_views import TriggerDryRunView, TriggerToggleView
from triggers.forms import TriggerForm
from triggers.models import CouponOffer, EmailTemplate, Firing, Trigger
from triggers.wording import entry_event_text, firing_reason_text, frequency_cap_text, wait_text


class EventTypeSelect(forms.Select):
    """The event types of the field registry now, the shop's custom ones included."""

    @property
    def choices(self) -> list[tuple[str, str]]:
        types = current_registry().event_types
        return [("", "---------"), *((str(c.value), c.label) for c in types)]

    @choices.setter
    def choices(self, value: Any) -> None:
        pass  # always read from the registry


class TriggerIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[Trigger]:
        return selectors.with_firing_counts(super().get_base_queryset())


class ConversionColumn(Column):
    """Fired firings followed by a purchase within the conversion window."""

    def get_value(self, instance: Trigger) -> str:
        fired, converted = instance.fired_count, instance.converted_count  # type: ignore[attr-defined]
        return f"{converted} ({converted / fired:.0%})" if fired else "–"


class TriggerViewSet(ModelViewSet):
    model = Trigger
    icon = "time"
    menu_label = "Triggers"
    index_view_class = TriggerIndexView
    list_display = [
        "name",
        Column("entry_event", label="Entry event", accessor=entry_event_text),
        "action",
        BooleanColumn("enabled"),
        Column("wait", label="Checks", accessor=wait_text),
        Column("frequency_cap", label="At most", accessor=frequency_cap_text),
        Column("fired_count", label="Fired"),
        Column("waiting_count", label="Waiting"),
        ConversionColumn("conversions", label="Converted (7 d)"),
    ]
    list_filter = ["enabled", "action", "kind"]
    search_fields = ["name", "key"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [NameToKeyPanel(), KeyPanel(), FieldPanel("enabled"), FieldPanel("kind")],
                heading="Trigger",
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [
                            FieldPanel("entry_event", widget=EventTypeSelect),
                            FieldPanel("wait_seconds"),
                        ]
                    ),
                    FieldPanel("cancel_event", widget=EventTypeSelect),
                    FieldPanel("conditions"),
                ],
                heading="When",
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("frequency_cap_count"), FieldPanel("frequency_cap_seconds")]
                    ),
                    FieldPanel("daily_cap"),
                    FieldRowPanel([FieldPanel("quiet_start_hour"), FieldPanel("quiet_end_hour")]),
                    FieldPanel("consent"),
                    FieldPanel("control_share"),
                ],
                heading="Limits",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("action"),
                    FieldPanel("popup"),
                    FieldPanel("email_template"),
                    FieldPanel("webhook_url"),
                    FieldPanel("webhook_secret"),
                    FieldRowPanel(
                        [FieldPanel("webhook_timeout_seconds"), FieldPanel("webhook_max_attempts")]
                    ),
                    FieldPanel("segment"),
                ],
                heading="Action",
            ),
        ],
        base_form_class=TriggerForm,
    )

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/test/", TriggerDryRunView.as_view(), name="dry_run"),
            path("<int:pk>/toggle/", TriggerToggleView.as_view(), name="toggle"),
        ]

    @cached_property
    def add_view_class(self) -> type:
        class TriggerCreateView(generic.CreateView):
            def save_instance(self) -> Trigger:
                return _save(self)

        return TriggerCreateView

    @cached_property
    def edit_view_class(self) -> type:
        class TriggerEditView(generic.EditView):
            @cached_property
            def header_buttons(self) -> list[HeaderButton]:
                url = reverse("triggers:dry_run", args=[self.object.pk])
                return [HeaderButton("Results and test-fire", url=url, icon_name="bolt")]

            def save_instance(self) -> Trigger:
                return _save(self)

        return TriggerEditView

    @cached_property
    def delete_view_class(self) -> type:
        class TriggerDeleteView(generic.DeleteView):
            def delete_action(self) -> None:
                services.trigger_delete(trigger=self.object, user=self.request.user)

        return TriggerDeleteView


def _save(view: Any) -> Trigger:
    """Save the form's trigger through `trigger_save` (validation and one audit entry
    with the fields before and after) instead of Wagtail's plain create/edit action."""
    trigger = services.trigger_save(trigger=view.form.save(commit=False), user=view.request.user)
    view.form.save_m2m()
    return trigger


class FiringIndexView(generic.IndexView):
    def get_table(self, object_list: Any) -> Any:
        # Visitors by name (first name and e-mail when known) for staff allowed to see
        # visitor data, looked up once for the page rather than per row.
        firings = list(object_list)
        names: dict[str, str] = {}
        if can_view_visitor_data(self.request.user):
            names = visitor_names({firing.visitor_id for firing in firings})
            unknown = "Anonymous visitor"
        else:
            unknown = "(hidden)"
        for firing in firings:
            firing.visitor_label = names.get(firing.visitor_id, unknown)  # type: ignore[attr-defined]
        return super().get_table(firings)


class FiringViewSet(ModelViewSet):
    model = Firing
    icon = "history"
    menu_label = "Trigger log"
    index_view_class = FiringIndexView
    list_display = [
        Column("trigger", label="Trigger"),
        Column("visitor", label="Visitor", accessor="visitor_label"),
        Column("status", label="Outcome", accessor="get_status_display"),
        Column("reason", label="Why", accessor=firing_reason_text),
        DateColumn("created_at", label="Started", sort_key="created_at"),
        DateColumn("decided_at", label="Decided", sort_key="decided_at"),
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["visitor_id"]
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["status"]


register_permission_policy(Firing, ViewOnlyPermissionPolicy(Firing))


class EmailTemplateViewSet(SnippetViewSet):
    model = EmailTemplate
    icon = "mail"
    menu_label = "Email templates"
    list_display = ["name", "key", "subject", "updated_at"]
    menu_hook = PERSONALIZATION_MENU_HOOK
    menu_order = TRIGGERS_ORDER + 10
    # ORM search, as for components (content/admin_viewsets.py says why).
    search_fields = ["name", "key", "subject"]
    search_backend_name = None


class CouponOfferViewSet(SnippetViewSet):
    model = CouponOffer
    icon = "tag"
    menu_label = "Coupon offers"
    list_display = ["name", "key", "percent", "valid_days", "generate"]
    menu_hook = PERSONALIZATION_MENU_HOOK
    menu_order = TRIGGERS_ORDER + 20
    # ORM search, as for components (content/admin_viewsets.py says why).
    search_fields = ["name", "key"]
    search_backend_name = None


class TriggersViewSetGroup(InPersonalizationMenu, ModelViewSetGroup):
    menu_label = "Automation"
    menu_order = TRIGGERS_ORDER
    items = (
        TriggerViewSet("triggers"),
        FiringViewSet("trigger_firings"),
    )
