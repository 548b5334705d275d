from wagtail import hooks

from tracking.admin_viewsets import (
    AttributeDefinitionViewSet,
    EventTypeDefinitionViewSet,
    TrackingViewSetGroup,
)


@hooks.register("register_admin_viewset")
def register_tracking_viewsets() -> TrackingViewSetGroup:
    return TrackingViewSetGroup()


@hooks.register("register_admin_viewset")
def register_definition_viewsets() -> list:
    return [
        EventTypeDefinitionViewSet("event_types"),
        AttributeDefinitionViewSet("customer_attributes"),
    ]
