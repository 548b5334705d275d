from wagtail import hooks

from segments.admin_viewsets import SegmentsViewSetGroup


@hooks.register("register_admin_viewset")
def register_segments_viewsets() -> SegmentsViewSetGroup:
    return SegmentsViewSetGroup()
