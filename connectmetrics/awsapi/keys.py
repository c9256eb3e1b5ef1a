"""AWS access keys the product issues: made, shown once, kept encrypted.

Signature Version 4 is an HMAC keyed with the secret itself, so the server needs
the secret back to check a signature: a hash, as API tokens are kept, cannot
work. The secret is kept sealed (dashboard/lib/sealed.py).
"""

import secrets
from collections.abc import Iterable

from connectmetrics.models import AwsAccessKey, ConnectInstance
from dashboard.lib.sealed import seal, unseal

# AWS's own shapes: a 20-character ID of capitals and digits, a 40-character secret.
# The ID's prefix tells anyone who finds one that it is this product's, not AWS's.
ID_PREFIX = "CWAK"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ID_CHARS = 20
_SECRET_BYTES = 30  # 40 characters of URL-safe base64


def new_access_key_id() -> str:
    body = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_CHARS - len(ID_PREFIX)))
    return ID_PREFIX + body


def give_secret(key: AwsAccessKey) -> str:
    """Give an unsaved access key its ID and a new secret (kept encrypted); the secret."""
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    key.access_key_id = new_access_key_id()
    key.encrypted_secret = seal(secret)
    return secret


def secret_of(key: AwsAccessKey) -> str:
    """The key's secret (dashboard.lib.sealed.Unreadable if sealed under a lost SECRET_KEY)."""
    return unseal(key.encrypted_secret)


def issue_access_key(
    name: str, instances: Iterable[ConnectInstance] = (), *, all_instances: bool = False
) -> tuple[AwsAccessKey, str]:
    """A new access key and its secret, which is shown once and kept only encrypted."""
    key = AwsAccessKey(name=name, all_instances=all_instances)
    secret = give_secret(key)
    key.save()
    key.instances.set(list(instances))
    return key, secret
