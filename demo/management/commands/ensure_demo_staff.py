"""Create the staff groups and the demo staff login (a superuser) if it does not exist,
and print it."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from core.staff_groups import ensure_staff_groups


class Command(BaseCommand):
    help = "Create the demo staff login for the Wagtail admin and print its credentials."

    def handle(self, *args: object, **options: object) -> None:
        ensure_staff_groups()
        username = os.environ.get("PZ_DEMO_STAFF_USERNAME", "demo")
        password = os.environ.get("PZ_DEMO_STAFF_PASSWORD", "pz-demo-password")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "is_superuser": True, "email": "demo@example.com"},
        )
        if created:
            user.set_password(password)
            user.save()
        state = "created" if created else "already present"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo staff login ({state}): username '{username}', password '{password}' "
                "at http://127.0.0.1:8000/admin/"
            )
        )
