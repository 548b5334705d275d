from django.urls import path

from experiments.api import views

urlpatterns = [
    path("experiments", views.ExperimentListApi.as_view(), name="api-experiments"),
    path("experiments/<slug:key>", views.ExperimentDetailApi.as_view(), name="api-experiment"),
    path(
        "experiments/<slug:key>/start",
        views.ExperimentStartApi.as_view(),
        name="api-experiment-start",
    ),
    path(
        "experiments/<slug:key>/stop", views.ExperimentStopApi.as_view(), name="api-experiment-stop"
    ),
    path(
        "experiments/<slug:key>/promote",
        views.ExperimentPromoteApi.as_view(),
        name="api-experiment-promote",
    ),
    path(
        "experiments/<slug:key>/results",
        views.ExperimentResultsApi.as_view(),
        name="api-experiment-results",
    ),
]
