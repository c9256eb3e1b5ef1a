"""python manage.py socket_contract: write the files generated from the socket's messages."""

from typing import Any

from django.core.management.base import BaseCommand

from connectmetrics.wire.socket_contract import ROOT, generated


class Command(BaseCommand):
    help = "Write the socket messages' JSON Schema and the page's field lists from the contract."

    def handle(self, *args: Any, **options: Any) -> None:
        for path, text in generated().items():
            path.write_text(text)
            self.stdout.write(f"wrote {path.relative_to(ROOT)}")
