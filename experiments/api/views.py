"""Staff API of experiments (../shared/API.md): create, start, stop, results."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.models import Placement
from core.api.permissions import HasModelPermissions
from core.permissions import permission_codename
from experiments import services
from experiments.api.serializers import (
    ExperimentInputSerializer,
    ExperimentResultsSerializer,
    ExperimentSerializer,
    PromoteSerializer,
    TrafficSerializer,
)
from experiments.models import Experiment


class ExperimentApiView(APIView):
    """Staff endpoints about experiments: the experiment model permission of the method."""

    permission_classes = [HasModelPermissions]
    permission_model = Experiment


class ExperimentListApi(ExperimentApiView):
    @extend_schema(responses=ExperimentSerializer(many=True), summary="List experiments")
    def get(self, request: Request) -> Response:
        experiments = Experiment.objects.select_related("placement", "layer").prefetch_related(
            "arms", "segments"
        )
        return Response(ExperimentSerializer(experiments, many=True).data)

    @extend_schema(
        request=ExperimentInputSerializer,
        responses={201: ExperimentSerializer},
        summary="Create an experiment (a draft until started)",
    )
    def post(self, request: Request) -> Response:
        serializer = ExperimentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        experiment = services.experiment_create(
            key=data["key"],
            name=data.get("name") or data["key"],
            placement_key=data["placement"],
            arms=[
                {
                    "key": a["key"],
                    "variant": a["variant"],
                    "weight": a["weight"],
                    "control": a["control"],
                }
                for a in data["arms"]
            ],
            traffic=data["traffic"],
            segment_keys=data["segments"],
            goal=dict(data.get("goal") or {"event": "purchase"}),
            layer_key=data["layer"],
            owner=request.user,
            hypothesis=data["hypothesis"],
            minimum_detectable_effect=data["minimum_detectable_effect"],
            adaptive=data["adaptive"],
            cuped=data["cuped"],
            guardrail_events=data["guardrail_events"],
        )
        return Response(ExperimentSerializer(experiment).data, status=status.HTTP_201_CREATED)


class ExperimentDetailApi(ExperimentApiView):
    @extend_schema(responses=ExperimentSerializer)
    def get(self, request: Request, key: str) -> Response:
        return Response(ExperimentSerializer(get_object_or_404(Experiment, key=key)).data)

    @extend_schema(
        request=TrafficSerializer, responses=ExperimentSerializer, summary="Change traffic"
    )
    def patch(self, request: Request, key: str) -> Response:
        experiment = get_object_or_404(Experiment, key=key)
        if "weights" in request.data:
            services.experiment_set_weights(
                experiment=experiment, weights=request.data["weights"], user=request.user
            )
        if "traffic" in request.data:
            serializer = TrafficSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            experiment = services.experiment_set_traffic(
                experiment=experiment,
                traffic=serializer.validated_data["traffic"],
                user=request.user,
            )
        return Response(ExperimentSerializer(experiment).data)


class ExperimentStartApi(ExperimentApiView):
    permission_actions = {"POST": "change"}

    @extend_schema(request=None, responses=ExperimentSerializer, summary="Start")
    def post(self, request: Request, key: str) -> Response:
        experiment = services.experiment_start(
            experiment=get_object_or_404(Experiment, key=key), user=request.user
        )
        return Response(ExperimentSerializer(experiment).data)


class ExperimentStopApi(ExperimentApiView):
    permission_actions = {"POST": "change"}

    @extend_schema(request=None, responses=ExperimentSerializer, summary="Stop")
    def post(self, request: Request, key: str) -> Response:
        experiment = services.experiment_stop(
            experiment=get_object_or_404(Experiment, key=key), user=request.user
        )
        return Response(ExperimentSerializer(experiment).data)


class ExperimentPromoteApi(ExperimentApiView):
    # Promoting publishes the winning variant as the placement's default.
    permission_actions = {"POST": "change"}
    extra_permissions = (permission_codename(Placement, "publish"),)

    @extend_schema(
        request=PromoteSerializer, responses=ExperimentSerializer, summary="Promote a winner"
    )
    def post(self, request: Request, key: str) -> Response:
        experiment = get_object_or_404(Experiment, key=key)
        serializer = PromoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.promote_winner(
            experiment=experiment,
            arm_key=serializer.validated_data["arm"],
            user=request.user,
            override_reason=serializer.validated_data["override_reason"],
        )
        experiment.refresh_from_db()
        return Response(ExperimentSerializer(experiment).data)


class ExperimentResultsApi(ExperimentApiView):
    @extend_schema(
        parameters=[OpenApiParameter("refresh", bool, description="Recompute now")],
        responses=ExperimentResultsSerializer,
        summary="Results per arm with the decision",
    )
    def get(self, request: Request, key: str) -> Response:
        experiment = get_object_or_404(Experiment, key=key)
        latest = services.current_results(
            experiment, refresh=bool(request.query_params.get("refresh"))
        )
        report = dict(latest.report)
        report["status"] = experiment.status
        report["srm_flag"] = report["srm"]["flag"]
        return Response(report)
