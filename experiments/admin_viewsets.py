"""Wagtail admin screens of experiments, configured by attributes.

Create goes through `services.experiment_create` (the form's `save`), edit through
`experiment_set_traffic` / `experiment_set_weights`; the lifecycle buttons post to the
views of `admin_views.py`. The inspect page is the results report.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button, HeaderButton

from core.admin_menu import EXPERIMENTS_ORDER, InPersonalizationMenu
from core.key_panels import KeyPanel, NameToKeyPanel
from experiments import services
from experiments.admin_views import (
    ExperimentPromoteView,
    ExperimentRecomputeView,
    ExperimentStartView,
    ExperimentStopView,
    ExperimentTrafficView,
    SampleSizeCalculatorView,
    report_context,
    with_latest_decision,
)
from experiments.forms import ExperimentCreateForm, ExperimentEditForm
from experiments.models import Experiment
from experiments.wording import SRM_WORDS, decision_words


class DecisionColumn(Column):
    """The latest snapshot's decision in words with what it means, and the sample ratio
    mismatch warning spelled out when it flagged one."""

    cell_template_name = "experiments/admin/cells/decision.html"

    def get_cell_context_data(self, instance: Experiment, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        arms = list(instance.arms.all())
        control = next((arm.key for arm in arms if arm.is_control), "")
        variants = {arm.key: arm.variant_key for arm in arms}
        label, meaning = decision_words(context["value"], control, variants)
        context.update(label=label, meaning=meaning, srm_words=SRM_WORDS)
        return context

    class Media:
        css = {"all": ["experiments/admin.css"]}


class TrafficColumn(Column):
    def get_value(self, instance: Experiment) -> str:
        return f"{instance.traffic:.0%}"


def _post_button(label: str, url: str, icon: str) -> HeaderButton:
    return HeaderButton(
        label,
        icon_name=icon,
        attrs={
            "data-controller": "w-action",
            "data-action": "w-action#post",
            "data-w-action-url-value": url,
        },
    )


class ExperimentIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[Experiment]:
        return with_latest_decision(super().get_base_queryset())

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        return [
            *super().header_more_buttons,
            Button(
                "Sample size calculator",
                url=reverse("experiments:calculator"),
                icon_name="calculator",
            ),
        ]


class ServiceErrorViewMixin:
    """Report an `ExperimentError` from the form's save on the form instead of a 500 (the
    save ran in a transaction that the error rolled back)."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except services.ExperimentError as exc:
            form.add_service_error(exc)
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return self.form_invalid(form)  # type: ignore[attr-defined]

    def get_success_url(self) -> str:
        return reverse("experiments:inspect", args=[self.object.pk])  # type: ignore[attr-defined]


CREATE_PANELS = ObjectList(
    [
        MultiFieldPanel(
            [
                NameToKeyPanel(),
                KeyPanel(),
                FieldPanel("hypothesis"),
                FieldPanel("placement"),
                FieldPanel("arms"),
            ],
            heading="What is tested",
        ),
        MultiFieldPanel(
            [FieldPanel("traffic"), FieldPanel("segments"), FieldPanel("layer_key")],
            heading="Who takes part",
        ),
        MultiFieldPanel(
            [
                FieldPanel("goal_event"),
                FieldPanel("goal_placement"),
                FieldPanel("minimum_detectable_effect"),
                FieldPanel("guardrail_events"),
                FieldPanel("adaptive"),
                FieldPanel("cuped"),
            ],
            heading="How it is judged",
        ),
    ]
)


class ExperimentCreateView(ServiceErrorViewMixin, generic.CreateView):
    """The create form in panels: the key fills itself from the name, arms are rows."""

    template_name = "experiments/admin/experiment_create.html"

    def get_panel(self) -> Any:
        return CREATE_PANELS.bind_to_model(Experiment)


class ExperimentEditView(ServiceErrorViewMixin, generic.EditView):
    pass


class ExperimentInspectView(generic.InspectView):
    """The results report: SRM check, decision in words, the per-arm table, charts over
    time, and the lifecycle buttons."""

    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        experiment = self.object
        buttons: list[HeaderButton] = []
        if not self.user_has_permission("change"):
            return buttons
        if experiment.status == Experiment.Status.DRAFT:
            buttons.append(
                _post_button("Start", reverse("experiments:start", args=[experiment.pk]), "play")
            )
        if experiment.status == Experiment.Status.RUNNING:
            buttons.append(
                _post_button("Stop", reverse("experiments:stop", args=[experiment.pk]), "cross")
            )
        if experiment.status != Experiment.Status.STOPPED:
            buttons.append(
                HeaderButton(
                    "Change traffic",
                    url=reverse("experiments:traffic", args=[experiment.pk]),
                    icon_name="resubmit",
                )
            )
        buttons.append(
            _post_button(
                "Recompute now", reverse("experiments:recompute", args=[experiment.pk]), "rotate"
            )
        )
        buttons.append(
            HeaderButton(
                "Edit", url=reverse("experiments:edit", args=[experiment.pk]), icon_name="edit"
            )
        )
        return buttons

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(report_context(self.object))
        context["can_change"] = self.user_has_permission("change")
        return context


class ExperimentViewSet(ModelViewSet):
    model = Experiment
    icon = "tasks"
    menu_label = "Experiments"
    index_view_class = ExperimentIndexView
    add_view_class = ExperimentCreateView
    edit_view_class = ExperimentEditView
    inspect_view_class = ExperimentInspectView
    inspect_view_enabled = True
    inspect_template_name = "experiments/admin/experiment_report.html"
    copy_view_enabled = False
    list_per_page = 50
    list_display = [
        "name",
        Column("placement", label="Placement"),
        Column("status", label="Status", accessor="get_status_display", sort_key="status"),
        TrafficColumn("traffic", label="Traffic", sort_key="traffic"),
        DateColumn("started_at", label="Started", sort_key="started_at"),
        DecisionColumn("latest_decision", label="Latest decision"),
    ]
    list_filter = ["status", "placement", "adaptive"]
    search_fields = ["name", "key", "hypothesis"]

    def get_form_class(self, for_update: bool = False) -> type:
        return ExperimentEditForm if for_update else ExperimentCreateForm

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("start/<int:pk>/", self.construct_view(ExperimentStartView), name="start"),
            path("stop/<int:pk>/", self.construct_view(ExperimentStopView), name="stop"),
            path(
                "recompute/<int:pk>/",
                self.construct_view(ExperimentRecomputeView),
                name="recompute",
            ),
            path("traffic/<int:pk>/", self.construct_view(ExperimentTrafficView), name="traffic"),
            path(
                "promote/<int:pk>/<slug:arm>/",
                self.construct_view(ExperimentPromoteView),
                name="promote",
            ),
            path("calculator/", self.construct_view(SampleSizeCalculatorView), name="calculator"),
        ]


class ExperimentsViewSetGroup(InPersonalizationMenu, ModelViewSetGroup):
    menu_label = "Experiments"
    menu_order = EXPERIMENTS_ORDER
    items = (ExperimentViewSet("experiments"),)
