"""`manage.py import_products FILE`: a CSV, JSON Lines or Google Merchant Center feed
(TSV or RSS/Atom XML) into the catalog, with a progress bar and a per-row error report."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from catalog.feeds import FORMATS, FeedError
from catalog.services import import_feed_file


def count_lines(path: Path) -> int:
    """A cheap upper bound of the rows, for the progress bar (XML: unknown)."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


class Command(BaseCommand):
    help = (
        "Import products from a CSV, JSON Lines or Google Merchant Center feed (TSV or "
        "RSS/Atom XML with the g: namespace). Items are merged into stored products by id; "
        "unchanged products are counted, not rewritten; bad rows are reported and the rest kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=FORMATS, help="default: from the file name (.csv .tsv .txt ...)"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        fmt = options["format"]
        total = None
        if not options["no_progress"] and (fmt or path.suffix.lower()) not in (
            "xml",
            ".xml",
            ".rss",
            ".atom",
        ):
            total = max(count_lines(path) - 1, 0)
        bar = tqdm(
            total=total,
            unit=" rows",
            file=self.stderr,
            disable=options["no_progress"],
            mininterval=0.5,
        )
        try:
            with path.open("rb") as stream, bar:
                record, report = import_feed_file(
                    stream=stream, file_name=path.name, format=fmt, progress=bar.update
                )
        except FeedError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({**report.as_response(), "error": report.error}))
        else:
            self.stdout.write(
                f"{report.rows} rows: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(report.rejected)} rejected"
            )
            for entry in report.rejected:
                problems = "; ".join(f"{k}: {v}" for k, v in entry["errors"].items())
                self.stdout.write(f"  line {entry['line']}: {problems}")
        if report.error:
            raise CommandError(f"the file broke off: {report.error} (rows before it imported)")
