"""`manage.py train_recommender`: train, evaluate and activate a recommender version."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from recommendations import services
from recommendations.services import describe


class Command(BaseCommand):
    help = "Train a recommender on the shop's events, evaluate it and make it active."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = services.train_recommender()
        except services.TrainingBusy as exc:
            raise CommandError(str(exc)) from exc
        except services.TrainingFailed as exc:
            raise CommandError(f"training v{exc.model.version} failed: {exc}") from exc
        self.stdout.write(describe(model))
        metrics = model.metrics
        holdout = metrics.get("holdout", {})
        self.stdout.write(
            f"holdout: {holdout.get('train_events')} train / {holdout.get('test_events')} test "
            f"events, {holdout.get('test_users')} test visitors"
        )
        k = metrics.get("k", 10)
        self.stdout.write(f"{'strategy':<16} NDCG@{k}  P@{k}    R@{k}    Hit@{k}  coverage")
        for name, row in metrics.get("strategies", {}).items():
            self.stdout.write(
                f"{name:<16} {row['ndcg']:.4f}   {row['precision']:.4f}  {row['recall']:.4f}  "
                f"{row['hit_rate']:.4f}  {row['coverage']:.4f}"
            )
