from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from connectmetrics.api.auth import issue_token
from connectmetrics.models import ConnectInstance


class Command(BaseCommand):
    help = (
        "Make an API token for the metrics endpoint and print it once (only its hash is "
        "stored). With --instance it may read only those Connect instances; without, every one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses the token, e.g. 'Workforce tool'.")
        parser.add_argument(
            "--instance",
            action="append",
            default=[],
            metavar="INSTANCE",
            help="A Connect instance's name, ID or ARN; repeat for several.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("The token needs a name: who or what will use it.")
        instances = []
        for ref in options["instance"]:
            instance = ConnectInstance.objects.filter(
                Q(name=ref) | Q(instance_id=ref) | Q(instance_arn=ref)
            ).first()
            if instance is None:
                known = ", ".join(ConnectInstance.objects.values_list("name", flat=True))
                raise CommandError(
                    f"--instance {ref!r}: no Connect instance has that name, ID or ARN "
                    f"(configured: {known or 'none'})."
                )
            instances.append(instance)
        token, raw = issue_token(name, instances, all_instances=not instances)
        scope = ", ".join(i.name for i in instances) if instances else "every Connect instance"
        self.stderr.write(
            f"API token {token.name!r} for {scope}. It is shown only now; send it as "
            "'Authorization: Bearer <token>'."
        )
        self.stdout.write(raw)
