"""`manage.py cluster_visitors`: fit the ML segments now and print the model's quality."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from segments.clustering_service import run_clustering
from segments.models import ClusteringRun


class Command(BaseCommand):
    help = (
        "Cluster visitors (purchasers by default) on RFM, interest, engagement and device "
        "features, store the run and replace the cluster segments. Prints silhouette and "
        "inertia per k and each cluster's size and description."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--algorithm", choices=["kmeans", "dbscan"], default="kmeans")
        parser.add_argument("--k-min", type=int, default=2)
        parser.add_argument("--k-max", type=int, default=10)
        parser.add_argument("--pca", type=int, default=None, metavar="N", help="PCA components")
        parser.add_argument("--top-interests", type=int, default=5, metavar="N")
        parser.add_argument(
            "--all-visitors", action="store_true", help="include visitors without orders"
        )
        parser.add_argument("--dbscan-eps", type=float, default=None, help="default: estimated")
        parser.add_argument("--dbscan-min-samples", type=int, default=10)
        parser.add_argument(
            "--show", action="store_true", help="print the current run without refitting"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["show"]:
            run = ClusteringRun.objects.filter(is_current=True).first()
            if run is None:
                raise CommandError("no clustering run yet")
        else:
            try:
                run = run_clustering(
                    algorithm=options["algorithm"],
                    k_min=options["k_min"],
                    k_max=options["k_max"],
                    pca_components=options["pca"],
                    purchasers_only=not options["all_visitors"],
                    top_interests=options["top_interests"],
                    dbscan_eps=options["dbscan_eps"],
                    dbscan_min_samples=options["dbscan_min_samples"],
                )
            except ValueError as exc:  # ClusteringError, or parameters cluster() rejects
                raise CommandError(str(exc)) from exc
        self.stdout.write(self._report(run))

    def _report(self, run: ClusteringRun) -> str:
        params = run.parameters
        lines = [
            f"run {run.pk}: {params.get('model', run.algorithm)} on {run.visitors} visitors, "
            f"k={run.k}, silhouette={run.silhouette}, {run.duration_ms} ms",
            f"features: {', '.join(run.features)}",
            f"log1p: {', '.join(params.get('log_features', []))}; "
            f"PCA: {params.get('pca_components') or 'no'}",
        ]
        if run.algorithm == ClusteringRun.Algorithm.DBSCAN:
            lines.append(
                f"eps={params.get('eps')} min_samples={params.get('min_samples')} "
                f"noise={params.get('noise')}"
            )
        if run.scores_by_k:
            lines += ["", f"{'k':>3}  {'silhouette':>10}  {'inertia':>12}"]
            for k, scores in sorted(run.scores_by_k.items(), key=lambda item: int(item[0])):
                mark = "  <- chosen" if int(k) == run.k else ""
                lines.append(
                    f"{k:>3}  {_number(scores['silhouette']):>10}  "
                    f"{_number(scores['inertia']):>12}{mark}"
                )
        lines += ["", f"{'key':<18} {'size':>7}  name"]
        for group in run.clusters:
            lines.append(f"{group['key']:<18} {group['size']:>7}  {group['name']}")
            lines.append(f"{'':<27}{group['description']}")
        return "\n".join(lines)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.4f}"
