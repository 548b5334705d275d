"""Offline comparison of the recommendation strategies on a dataset."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations.evaluation import (
    evaluate_strategies,
    format_report,
    load_interactions_file,
    load_movielens_100k,
    load_online_retail,
)
from recommendations.evaluation.datasets import MOVIELENS_DIRNAME, ONLINE_RETAIL_FILENAME

REPO_ROOT = Path(__file__).resolve().parents[3]
# Licensed datasets live beside the repository, never inside it.
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


class Command(BaseCommand):
    help = (
        "Evaluate every recommendation strategy (popularity, item-kNN, EASE, content, "
        "hybrid...) offline and print NDCG/precision/recall/hit rate/coverage at k."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            choices=["movielens-100k", "online-retail", "file"],
            default="movielens-100k",
        )
        parser.add_argument(
            "--path",
            type=Path,
            help="Dataset file or folder; overrides --data-dir (required for --dataset file).",
        )
        parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--split",
            choices=["stratified", "temporal"],
            help="Default: stratified for MovieLens, temporal for the others when timed.",
        )
        parser.add_argument(
            "--no-tune",
            action="store_true",
            help="Skip validation tuning and use the default hyperparameters.",
        )

    def handle(self, *args, **options) -> None:
        dataset, path = options["dataset"], options["path"]
        data_dir: Path = options["data_dir"]
        if dataset == "file" and path is None:
            raise CommandError("--dataset file needs --path")
        if dataset == "movielens-100k":
            source = path or data_dir / MOVIELENS_DIRNAME
        elif dataset == "online-retail":
            source = path or data_dir / ONLINE_RETAIL_FILENAME
        else:
            source = path
        if not source.exists():
            raise CommandError(f"{source} does not exist (see --data-dir / --path)")
        if dataset == "movielens-100k":
            log = load_movielens_100k(source)
        elif dataset == "online-retail":
            log = load_online_retail(source)
        else:
            log = load_interactions_file(source)
        split = options["split"]
        if split is None:
            timed = log.timestamps is not None and dataset != "movielens-100k"
            split = "temporal" if timed else "stratified"
        report = evaluate_strategies(
            log, split=split, k=options["k"], seed=options["seed"], tune=not options["no_tune"]
        )
        self.stdout.write(format_report(report))
