from django.urls import path

from personalization.api import views

urlpatterns = [
    path("decide", views.DecideApi.as_view(), name="api-decide"),
    path("placements", views.PlacementsApi.as_view(), name="api-placements"),
]
