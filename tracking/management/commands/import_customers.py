"""`manage.py import_customers PATH.csv`: import CRM attributes onto known visitors."""

import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracking.services import import_customer_attributes


class Command(BaseCommand):
    help = (
        "Import a CRM export (CSV with a header: customer_id, email, first_name and any "
        "defined customer attribute, see GET /api/v1/attributes). Customer ids are stored "
        "only as a keyed hash. Bad rows are reported by line number and skipped; the others "
        "are imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="CSV file (UTF-8, with a header row)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        try:
            # Read it all first: a file that cannot be decoded imports nothing.
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise CommandError(f"file not found: {path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc

        report = import_customer_attributes(io.StringIO(text, newline=""))
        header_errors = [reason for line, reason in report.errors if line == 1]
        if header_errors:
            raise CommandError(f"{path} line 1: {header_errors[0]}")
        self.stdout.write(f"imported {report.imported} customers from {path}")
        for line, reason in report.errors:
            self.stderr.write(f"line {line}: {reason}")
        if report.errors:
            self.stdout.write(f"{len(report.errors)} bad rows skipped")
