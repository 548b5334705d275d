"""Ready a freshly loaded demo database for a load run (called by `gunicorn_run.py`).

    DATABASE_URL=... .venv/bin/python loadtest/prepare.py --visitor-ids known.txt

Starts one A/B test on the `site-banner` placement (the demo data has none), so every
decide that asks for the banner runs experiment assignment and records exposures, and
writes the visitor ids of the demo's known customers, one per line, for
`run.py --visitor-ids`. Safe to run again.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

EXPERIMENT_KEY = "loadtest-banner"


def start_experiment() -> str:
    from experiments.models import Experiment
    from experiments.services import experiment_create, experiment_start

    experiment = Experiment.objects.filter(key=EXPERIMENT_KEY).first()
    if experiment is None:
        experiment = experiment_create(
            key=EXPERIMENT_KEY,
            name="Load test: weekend sale banner",
            placement_key="site-banner",
            arms=[
                {"key": "control", "variant": "default", "control": True},
                {"key": "weekend-sale", "variant": "weekend-sale"},
            ],
        )
    if experiment.status == Experiment.Status.DRAFT:
        experiment = experiment_start(experiment=experiment)
    return f"experiment {experiment.key} on {experiment.placement.key}: {experiment.status}"


def write_known_visitors(path: Path) -> int:
    from tracking.models import VisitorProfile

    ids = list(
        VisitorProfile.objects.filter(customer_key__isnull=False)
        .order_by("visitor_id")
        .values_list("visitor_id", flat=True)
    )
    path.write_text("".join(f"{visitor_id}\n" for visitor_id in ids), encoding="utf-8")
    return len(ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visitor-ids", type=Path, required=True)
    args = parser.parse_args(argv)

    import django

    django.setup()
    sys.stdout.write(start_experiment() + "\n")
    count = write_known_visitors(args.visitor_ids)
    sys.stdout.write(f"known visitors: {count} ids in {args.visitor_ids}\n")
    return 0 if count else 1


if __name__ == "__main__":
    raise SystemExit(main())
