"""What the commands that make credentials for other tools share: a name and the instances."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from connectmetrics.models import ConnectInstance


class CredentialCommand(BaseCommand):
    """`<name> [--instance INSTANCE ...]`: without --instance, every Connect instance."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who uses it, e.g. 'Workforce tool'.")
        parser.add_argument(
            "--instance",
            action="append",
            default=[],
            metavar="INSTANCE",
            help="A Connect instance's name, ID or ARN; repeat for several.",
        )

    def name_and_instances(self, options: dict[str, Any]) -> tuple[str, list[ConnectInstance]]:
        name = options["name"].strip()
        if not name:
            raise CommandError("It needs a name: who or what will use it.")
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
        return name, instances

    @staticmethod
    def scope(instances: list[ConnectInstance]) -> str:
        return ", ".join(i.name for i in instances) if instances else "every Connect instance"
