from typing import Any

from connectmetrics.api.auth import issue_token
from connectmetrics.management.credentials import CredentialCommand


class Command(CredentialCommand):
    help = (
        "Make an API token for the metrics endpoint and print it once (only its hash is "
        "stored). With --instance it may read only those Connect instances; without, every one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        name, instances = self.name_and_instances(options)
        token, raw = issue_token(name, instances, all_instances=not instances)
        self.stderr.write(
            f"API token {token.name!r} for {self.scope(instances)}. It is shown only now; send "
            "it as 'Authorization: Bearer <token>'."
        )
        self.stdout.write(raw)
