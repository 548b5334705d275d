"""Wagtail admin screens of the recommender: versions (read-only, written by
`services.train_recommender`), their offline metrics, "Train now" and CTR per strategy."""

from typing import Any

from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from core.admin_menu import PERSONALIZATION_MENU_HOOK, RECOMMENDATIONS_ORDER
from core.admin_permissions import ViewOnlyPermissionPolicy
from recommendations.admin_views import StrategyCtrView, TrainNowView
from recommendations.models import RecommenderModel


def metric(strategy: str, name: str = "ndcg") -> Any:
    def value(model: RecommenderModel) -> str:
        row = (model.metrics or {}).get("strategies", {}).get(strategy)
        return f"{row[name]:.4f}" if row else "–"

    return value


class RecommenderIndexView(generic.IndexView):
    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        buttons = list(super().header_buttons)
        policy = ModelPermissionPolicy(RecommenderModel)
        if policy.user_has_permission(self.request.user, TrainNowView.permission_required):
            buttons.append(
                HeaderButton(
                    "Train now",
                    icon_name="cogs",
                    attrs={
                        "data-controller": "w-action",
                        "data-action": "w-action#post",
                        "data-w-action-url-value": reverse("recommender_models:train"),
                    },
                )
            )
        return buttons

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        return [
            *super().header_more_buttons,
            Button(
                "Click-through by strategy",
                url=reverse("recommender_models:ctr"),
                icon_name="view",
            ),
        ]


class RecommenderInspectView(generic.InspectView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        metrics = self.object.metrics or {}
        baseline = metrics.get("strategies", {}).get("popularity", {}).get("ndcg")
        context["k"] = metrics.get("k", 10)
        context["holdout"] = metrics.get("holdout", {})
        context["strategy_rows"] = [
            {**row, "name": name, "vs_popularity": row["ndcg"] / baseline if baseline else None}
            for name, row in metrics.get("strategies", {}).items()
        ]
        return context


class RecommenderModelViewSet(ModelViewSet):
    model = RecommenderModel
    icon = "pick"
    menu_label = "Recommenders"
    menu_order = RECOMMENDATIONS_ORDER
    menu_hook = PERSONALIZATION_MENU_HOOK
    index_view_class = RecommenderIndexView
    inspect_view_class = RecommenderInspectView
    inspect_view_enabled = True
    inspect_template_name = "recommendations/admin/recommendermodel_inspect.html"
    copy_view_enabled = False
    list_display = [
        "__str__",
        BooleanColumn("is_active", label="Active"),
        "n_users",
        "n_items",
        Column("ndcg_personal", label="NDCG@10 personal", accessor=metric("personal")),
        Column("ndcg_popularity", label="NDCG@10 popularity", accessor=metric("popularity")),
        Column(
            "training_seconds",
            label="Training s",
            accessor=lambda m: (
                f"{m.training_seconds:.1f}" if m.training_seconds is not None else "–"
            ),
        ),
        DateColumn("created_at", label="Started", sort_key="created_at"),
    ]
    list_filter = ["status", "is_active"]
    inspect_view_fields = [
        "version",
        "status",
        "is_active",
        "created_at",
        "finished_at",
        "n_users",
        "n_items",
        "n_events",
        "training_seconds",
        "artifact_bytes",
        "artifact_file",
        "error",
        "config",
    ]
    form_fields = ["version"]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("train/", self.construct_view(TrainNowView), name="train"),
            path("ctr/", self.construct_view(StrategyCtrView), name="ctr"),
        ]


register_permission_policy(RecommenderModel, ViewOnlyPermissionPolicy(RecommenderModel))
