"""`manage.py load_demo`: fill the database with the Online Retail demo data."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.content import load_demo_content
from demo.online_retail import DemoLoadReport, demo_data_file, load_online_retail_demo
from demo.pages import load_demo_pages
from demo.segments import load_demo_segments
from demo.traffic import replay_demo_traffic
from recommendations.services import describe, train_recommender
from segments.clustering_service import ClusteringError, run_clustering
from triggers.builtin import create_builtin_triggers


class Command(BaseCommand):
    help = (
        "Load the UCI Online Retail demo: products, known customers and one purchase event "
        "per invoice, replayed through event ingest, then the demo segments and published "
        "personalized content. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit-invoices",
            type=int,
            default=None,
            metavar="N",
            help="Replay only the first N customer invoices of the file (quick demo, tests).",
        )
        parser.add_argument(
            "--data-file",
            type=Path,
            default=None,
            help=f"Online Retail CSV, plain or .xz (default: {demo_data_file()}).",
        )
        parser.add_argument(
            "--traffic-per-day",
            type=int,
            default=None,
            metavar="N",
            help="Simulated storefront visitors per day over the last 30 days, for the "
            "personalization reports (default 200, none with --limit-invoices; 0: none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit_invoices"]
        if limit is not None and limit < 1:
            raise CommandError("--limit-invoices must be a positive number")
        data_file = options["data_file"] or demo_data_file()
        if not data_file.is_file():
            raise CommandError(f"demo data file not found: {data_file}")
        try:
            report = load_online_retail_demo(data_file=data_file, limit_invoices=limit)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {data_file}: {exc}") from exc
        self.stdout.write(self._summary(report))
        for segment in load_demo_segments():
            segment.refresh_from_db()
            size = "real time only" if segment.real_time_only else f"{segment.size} members"
            self.stdout.write(f"segment {segment.key}: {size}")
        content = load_demo_content()
        self.stdout.write(
            f"content: {len(content.placements)} placements "
            f"({content.placements_published} published now, "
            f"{content.components_published} components published now)"
        )
        pages = load_demo_pages()
        self.stdout.write(f"pages: home at / ({len(pages.created)} pages created)")
        triggers = create_builtin_triggers(enabled=True)
        enabled = sum(1 for trigger in triggers if trigger.enabled)
        self.stdout.write(f"triggers: {len(triggers)} built-in ({enabled} enabled)")
        per_day = options["traffic_per_day"]
        if per_day is None:
            per_day = 0 if limit is not None else 200
        if per_day > 0:
            traffic = replay_demo_traffic(visitors_per_day=per_day)
            self.stdout.write(
                f"traffic: {traffic.visitors} simulated visitors ({traffic.held_out} in the "
                f"global holdout), {traffic.purchases} purchases, {traffic.exposures} "
                f"experiment exposures, {traffic.firings} trigger firings"
            )
        try:
            run = run_clustering()
            self.stdout.write(
                f"clustering: k={run.k}, silhouette {run.silhouette:.3f} "
                f"over {run.visitors} customers"
            )
        except ClusteringError as exc:
            self.stdout.write(f"clustering skipped: {exc}")
        self.stdout.write(describe(train_recommender()))

    def _summary(self, report: DemoLoadReport) -> str:
        products = report.products
        lines = [
            f"products: {products.created} created, {products.updated} updated, "
            f"{products.unchanged} unchanged",
            f"customers: {report.customers} ({report.customers_created} new known visitors)",
            f"invoices replayed: {report.invoices} (timestamps shifted by {report.shift_days} "
            f"days; {report.truncated_invoices} with items capped at 200)",
            f"events: {report.events_stored} stored, {report.duplicates} duplicates, "
            f"{report.rejected} rejected, {report.dropped_no_consent} dropped (no consent)",
        ]
        if report.crm is not None:
            lines.append(
                f"CRM sample: {report.crm.imported} rows imported, "
                f"{len(report.crm.errors)} bad rows"
            )
        lines.append(f"done in {report.seconds:.1f} s")
        return "\n".join(lines)
