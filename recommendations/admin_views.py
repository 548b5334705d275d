"""Extra admin views of the recommender, mounted by `admin_viewsets.py`: "Train now" and
the click-through rate per strategy. They call a service or selector and format."""

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permission_policies import ModelPermissionPolicy

from core import clock
from core.admin_views import job_response
from recommendations import selectors, services
from recommendations.models import RecommenderModel

CTR_WINDOWS_DAYS = (1, 7, 30)


class TrainNowView(PermissionCheckedMixin, View):
    """POST: start a training, shown as a job (done at once when tasks run eagerly).
    Versions are read-only in the admin, so training takes the model's "add" permission
    (superusers, or groups given it)."""

    permission_policy = ModelPermissionPolicy(RecommenderModel)
    permission_required = "add"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        job = services.request_training(
            user=request.user,
            return_url=reverse("recommender_models:index"),
            return_label="Recommenders",
        )
        return job_response(request, job)


class StrategyCtrView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Impressions, clicks and click-through rate per strategy over recent windows."""

    model = RecommenderModel
    permission_required = "view"
    template_name = "recommendations/admin/strategy_ctr.html"
    page_title = "Click-through by strategy"
    header_icon = "view"

    def get_breadcrumbs_items(self) -> list[dict[str, str]]:
        return self.breadcrumbs_items + [
            {"url": reverse("recommender_models:index"), "label": "Recommenders"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = clock.now()
        context["windows"] = [
            (days, selectors.ctr_by_strategy(since=now - timedelta(days=days)))
            for days in CTR_WINDOWS_DAYS
        ]
        return context
