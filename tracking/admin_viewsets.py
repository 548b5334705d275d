"""Read-only Wagtail admin screens for visitors and their events (personal data: only
staff holding the model's view permission see them; changes go through the services)."""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from core.admin_menu import AUDIENCE_ORDER, InPersonalizationMenu
from core.admin_permissions import ViewOnlyPermissionPolicy
from tracking import definitions
from tracking.forms import AttributeDefinitionForm, EventTypeDefinitionForm
from tracking.models import AttributeDefinition, Event, EventTypeDefinition, VisitorProfile


class PropertiesColumn(Column):
    """A property schema or a list of values, on one line."""

    def get_value(self, instance: Any) -> str:
        value = getattr(instance, self.accessor)
        if isinstance(value, dict):
            return ", ".join(f"{name} ({kind})" for name, kind in value.items()) or "–"
        return ", ".join(str(item) for item in value) or "any"


# Personalization's customer lookup (segments, placements, recommendations, arms and
# triggers in words) is the visitor's page: named by URL, as a lower app may.
CUSTOMER_LOOKUP_URL_NAME = "personalization_customer_lookup"


class VisitorInspectView(generic.InspectView):
    """A visitor's page is the customer lookup, not a dump of the profile's fields."""

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        query = urlencode({"q": self.object.visitor_id})
        return HttpResponseRedirect(f"{reverse(CUSTOMER_LOOKUP_URL_NAME)}?{query}")


class VisitorProfileViewSet(ModelViewSet):
    model = VisitorProfile
    icon = "user"
    menu_label = "Visitors"
    list_display = ["visitor_id", "customer_key", "events_count", "orders", "revenue", "last_seen"]
    list_filter = ["rfm_r", "rfm_f", "rfm_m"]
    search_fields = ["visitor_id"]
    inspect_view_enabled = True
    inspect_view_class = VisitorInspectView
    copy_view_enabled = False
    form_fields = ["visitor_id"]


class EventViewSet(ModelViewSet):
    model = Event
    icon = "list-ul"
    menu_label = "Events"
    list_display = ["type", "visitor_id", "timestamp", "session_id"]
    list_filter = ["type"]
    search_fields = ["visitor_id"]
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["type"]


register_permission_policy(VisitorProfile, ViewOnlyPermissionPolicy(VisitorProfile))
register_permission_policy(Event, ViewOnlyPermissionPolicy(Event))


class TrackingViewSetGroup(InPersonalizationMenu, ModelViewSetGroup):
    menu_label = "Audience"
    menu_order = AUDIENCE_ORDER
    items = (VisitorProfileViewSet("visitors"), EventViewSet("events"))


class DefinitionSaveMixin:
    """Save through `tracking.definitions` (audited, bumps the configuration version) and
    show its refusal on the form rather than a 500."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except definitions.DefinitionError:
            return self.form_invalid(form)  # type: ignore[attr-defined]

    def save_instance(self) -> Any:
        return self.form.save_definition(self.request.user)  # type: ignore[attr-defined]


class DefinitionCreateView(DefinitionSaveMixin, generic.CreateView):
    pass


class DefinitionEditView(DefinitionSaveMixin, generic.EditView):
    pass


class EventTypeDeleteView(generic.DeleteView):
    def delete_action(self) -> None:
        definitions.event_type_delete(definition=self.object, user=self.request.user)


class AttributeDeleteView(generic.DeleteView):
    def delete_action(self) -> None:
        definitions.attribute_delete(definition=self.object, user=self.request.user)


class EventTypeDefinitionViewSet(ModelViewSet):
    model = EventTypeDefinition
    icon = "bolt"
    menu_label = "Custom event types"
    add_to_settings_menu = True
    add_view_class = DefinitionCreateView
    edit_view_class = DefinitionEditView
    delete_view_class = EventTypeDeleteView
    form_fields = ["name", "label"]
    list_display = ["name", "label", PropertiesColumn("properties", label="Properties")]
    search_fields = ["name", "label"]
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False) -> type:
        return EventTypeDefinitionForm


class AttributeDefinitionViewSet(ModelViewSet):
    model = AttributeDefinition
    icon = "tag"
    menu_label = "Customer attributes"
    add_to_settings_menu = True
    add_view_class = DefinitionCreateView
    edit_view_class = DefinitionEditView
    delete_view_class = AttributeDeleteView
    form_fields = ["key", "label", "type"]
    list_display = ["key", "label", "type", PropertiesColumn("choices", label="Allowed values")]
    search_fields = ["key", "label"]
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False) -> type:
        return AttributeDefinitionForm
