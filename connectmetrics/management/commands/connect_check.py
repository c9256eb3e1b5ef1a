from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from connectmetrics.client.access_check import check_access
from connectmetrics.client.iam import policy
from connectmetrics.client.outcomes import Outcome
from connectmetrics.models import ConnectInstance


class Command(BaseCommand):
    help = (
        "Check credentials, Region, instance and the permissions the wallboard needs "
        "for one Connect instance, and print the IAM policy that grants what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("instance", help="The instance's name, ID or ARN in this project.")

    def handle(self, *args: Any, **options: Any) -> None:
        ref = options["instance"]
        instance = ConnectInstance.objects.filter(
            Q(name=ref) | Q(instance_id=ref) | Q(instance_arn=ref)
        ).first()
        if instance is None:
            raise CommandError(f"No Connect instance named {ref!r} is configured.")
        steps = check_access(instance)
        for step in steps:
            mark = self.style.SUCCESS("ok  ") if step.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {step.name}: {step.detail}")
        missing = [step.permission for step in steps if step.denied]
        if not all(step.ok for step in steps):
            if missing:
                self.stdout.write(
                    "\nMissing permissions: " + ", ".join(missing) + ". This IAM policy grants "
                    "everything the wallboard needs:\n"
                )
                self.stdout.write(policy(instance.instance_arn))
            if any(step.outcome is Outcome.NOT_FOUND for step in steps):
                self.stdout.write(
                    f"\nAmazon Connect has no instance {instance.instance_id} in "
                    f"{instance.region} for these credentials: check the instance's ID or ARN, "
                    "its Region, and the AWS account the credentials belong to."
                )
            raise CommandError(f"{instance.name} cannot be polled yet; see above.")
        self.stdout.write(self.style.SUCCESS(f"{instance.name} is ready to be polled."))
