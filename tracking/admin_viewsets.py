"""Read-only Wagtail admin screens for visitors and their events (personal data: only
staff holding the model's view permission see them; changes go through the services)."""

from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from core.admin_menu import AUDIENCE_ORDER, InPersonalizationMenu
from core.admin_permissions import ViewOnlyPermissionPolicy
from tracking.models import Event, VisitorProfile


class VisitorProfileViewSet(ModelViewSet):
    model = VisitorProfile
    icon = "user"
    menu_label = "Visitors"
    list_display = ["visitor_id", "customer_key", "events_count", "orders", "revenue", "last_seen"]
    list_filter = ["rfm_r", "rfm_f", "rfm_m"]
    search_fields = ["visitor_id"]
    inspect_view_enabled = True
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
