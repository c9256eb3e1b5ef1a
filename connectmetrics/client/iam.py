"""The IAM permissions the product needs, in one place (README shows the same policy)."""

import json

ACTIONS: tuple[str, ...] = (
    "connect:GetCurrentMetricData",
    "connect:ListQueues",
    "connect:ListRoutingProfiles",
)


def policy(instance_arn: str = "") -> str:
    """The least-privilege policy for one instance (or every instance when no ARN is given)."""
    resources = [instance_arn, f"{instance_arn}/*"] if instance_arn else ["*"]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ConnectWallboard",
                    "Effect": "Allow",
                    "Action": list(ACTIONS),
                    "Resource": resources,
                }
            ],
        },
        indent=2,
    )
