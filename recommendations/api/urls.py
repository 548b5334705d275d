from django.urls import path

from recommendations.api import views

urlpatterns = [
    path("recommendations", views.RecommendationsApi.as_view(), name="api-recommendations"),
    path(
        "recommendations/models",
        views.RecommenderModelsApi.as_view(),
        name="api-recommender-models",
    ),
    path(
        "recommendations/train", views.TrainRecommenderApi.as_view(), name="api-recommender-train"
    ),
    path("recommendations/ctr", views.RecommendationCtrApi.as_view(), name="api-recommender-ctr"),
]
