from wagtail import hooks

from recommendations.admin_viewsets import RecommenderModelViewSet


@hooks.register("register_admin_viewset")
def register_recommender_viewset() -> RecommenderModelViewSet:
    return RecommenderModelViewSet("recommender_models", url_prefix="recommenders")
