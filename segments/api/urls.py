from django.urls import path

from segments.api import views

urlpatterns = [
    path("rule-fields", views.RuleFieldsApi.as_view(), name="api-rule-fields"),
    path("segments", views.SegmentListApi.as_view(), name="api-segments"),
    path("segments/preview", views.RulePreviewApi.as_view(), name="api-segment-preview"),
    path("segments/overlap", views.SegmentOverlapApi.as_view(), name="api-segment-overlap"),
    path("segments/<slug:key>", views.SegmentDetailApi.as_view(), name="api-segment"),
    path(
        "segments/<slug:key>/members", views.SegmentMembersApi.as_view(), name="api-segment-members"
    ),
    path(
        "segments/<slug:key>/members.csv",
        views.SegmentMembersCsvApi.as_view(),
        name="api-segment-members-csv",
    ),
    path(
        "segments/<slug:key>/recompute",
        views.SegmentRecomputeApi.as_view(),
        name="api-segment-recompute",
    ),
]
