"""python manage.py display_token <slug> [--label L] [--base-url URL]

Makes a display token for a wallboard and prints the TV URL that carries it.
The token is shown only this once; only its hash is stored.
"""

import os
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from dashboard.models import DisplayToken, Wallboard


def default_base_url() -> str:
    """Where bin/web serves by default (PORT as it reads it)."""
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


class Command(BaseCommand):
    help = "Make a display token for a wallboard and print its TV URL (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The wallboard's slug, as in /wallboards/<slug>/.")
        parser.add_argument("--label", default="TV", help="Where the screen is, e.g. 'Floor 2'.")
        parser.add_argument(
            "--base-url",
            default=None,
            help="The address screens reach the server at, e.g. https://wallboard.example.com "
            "(default: http://127.0.0.1:$PORT, or 8000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str = options["slug"]
        label: str = options["label"].strip()
        base_url: str = (options["base_url"] or default_base_url()).rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(
                f"--base-url must be an http:// or https:// address such as "
                f"https://wallboard.example.com; got {base_url!r}"
            )
        max_label = DisplayToken._meta.get_field("label").max_length or 100
        if not label or len(label) > max_label:
            raise CommandError(f"--label must be 1 to {max_label} characters")
        wallboard = Wallboard.objects.filter(slug=slug).first()
        if wallboard is None:
            known = ", ".join(Wallboard.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No wallboard has the slug {slug!r} (wallboards: {known})")
        _, raw = DisplayToken.issue(wallboard, label)
        path = reverse("wallboard-tv", args=[wallboard.slug])
        self.stdout.write(f"{base_url}{path}?token={raw}")
