from django.urls import path

from insights.api import views

urlpatterns = [
    path("reports/uplift", views.UpliftApi.as_view(), name="api-report-uplift"),
    path("segments/<slug:key>/kpis", views.SegmentKpisApi.as_view(), name="api-segment-kpis"),
]
