from django.urls import path

from tracking.api import definition_views, views

urlpatterns = [
    path("event-types", definition_views.EventTypesApi.as_view(), name="api-event-types"),
    path("customers", definition_views.CustomersApi.as_view(), name="api-customers"),
    path("attributes", definition_views.AttributesApi.as_view(), name="api-attributes"),
    path("events", views.EventsApi.as_view(), name="api-events"),
    path("consent", views.ConsentApi.as_view(), name="api-consent"),
    path("visitors/<str:visitor_id>", views.VisitorApi.as_view(), name="api-visitor"),
    path(
        "visitors/<str:visitor_id>/export",
        views.VisitorExportApi.as_view(),
        name="api-visitor-export",
    ),
]
