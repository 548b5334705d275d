"""`manage.py setup_staff_groups`: create or update the staff groups (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand

from core.staff_groups import ensure_staff_groups


class Command(BaseCommand):
    help = (
        "Create the 'Marketing editors', 'Analysts' and 'Administrators' groups and set "
        "their permissions. Safe to run again (e.g. after adding an app)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, group in ensure_staff_groups().items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
