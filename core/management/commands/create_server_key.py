from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.services import create_server_key


class Command(BaseCommand):
    help = (
        "Create a server key for the shop's backend and print it (only the key, once: "
        "pz stores its hash). Revoke keys in the admin (Settings → Server keys)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What uses the key, e.g. 'shop backend'.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        if not name.strip():
            raise CommandError("The name must not be empty.")
        _, key = create_server_key(name=name)
        self.stdout.write(key)
