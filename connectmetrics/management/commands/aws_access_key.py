from typing import Any

from connectmetrics.awsapi.keys import issue_access_key
from connectmetrics.management.credentials import CredentialCommand


class Command(CredentialCommand):
    help = (
        "Make an AWS access key for the drop-in Connect endpoint (/aws/) and print it once, as "
        "AWS_ACCESS_KEY_ID=... and AWS_SECRET_ACCESS_KEY=... lines for a shell or an .env file "
        "(the secret is kept encrypted). With --instance it may read only those Connect "
        "instances; without, every one."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        name, instances = self.name_and_instances(options)
        key, secret = issue_access_key(name, instances, all_instances=not instances)
        self.stderr.write(
            f"AWS access key {key.name!r} for {self.scope(instances)}. The secret is shown only "
            "now; point the SDK's endpoint URL at this server's /aws."
        )
        self.stdout.write(f"AWS_ACCESS_KEY_ID={key.access_key_id}")
        self.stdout.write(f"AWS_SECRET_ACCESS_KEY={secret}")
