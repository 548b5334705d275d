from wagtail import hooks

from tracking.admin_viewsets import TrackingViewSetGroup


@hooks.register("register_admin_viewset")
def register_tracking_viewsets() -> TrackingViewSetGroup:
    return TrackingViewSetGroup()
