from django.urls import path

from tracking.api import views

urlpatterns = [
    path("events", views.EventsApi.as_view(), name="api-events"),
    path("consent", views.ConsentApi.as_view(), name="api-consent"),
    path("visitors/<str:visitor_id>", views.VisitorApi.as_view(), name="api-visitor"),
    path(
        "visitors/<str:visitor_id>/export",
        views.VisitorExportApi.as_view(),
        name="api-visitor-export",
    ),
]
