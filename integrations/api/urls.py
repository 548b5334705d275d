from django.urls import path

from integrations.api.views import SegmentApi

PREFIX = "integrations/segment"
urlpatterns = [
    path(PREFIX, SegmentApi.as_view(), name="api-integrations-segment"),
    *(
        path(
            f"{PREFIX}/v1/{kind}",
            SegmentApi.as_view(message_type=kind),
            name=f"api-integrations-segment-{kind}",
        )
        for kind in ("batch", "track", "identify", "page")
    ),
]
