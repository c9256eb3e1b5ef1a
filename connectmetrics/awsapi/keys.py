"""AWS access keys the product issues: made, shown once, kept encrypted.

Signature Version 4 is an HMAC keyed with the secret itself, so the server needs
the secret back to check a signature: a hash, as API tokens are kept, cannot
work. The secret is kept encrypted with Fernet (AES-128-CBC and HMAC-SHA256,
from the `cryptography` package) under a key derived from settings.SECRET_KEY
with HKDF, so a database dump without the settings reveals no usable secret.
Keys derived from SECRET_KEY_FALLBACKS still decrypt (MultiFernet), so rotating
SECRET_KEY the way Django documents it keeps access keys working.
"""

import base64
import secrets
from collections.abc import Iterable
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from connectmetrics.models import AwsAccessKey, ConnectInstance

# AWS's own shapes: a 20-character ID of capitals and digits, a 40-character secret.
# The ID's prefix tells anyone who finds one that it is this product's, not AWS's.
ID_PREFIX = "CWAK"
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ID_CHARS = 20
_SECRET_BYTES = 30  # 40 characters of URL-safe base64
_HKDF_INFO = b"connectmetrics.awsapi access key secrets"


class SecretUnreadable(Exception):
    """The secret was encrypted under a SECRET_KEY this server no longer has."""


def _fernet_for(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


@cache
def _fernet(secret_key: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_fernet_for(key) for key in (secret_key, *fallbacks)])


def _cipher() -> MultiFernet:
    return _fernet(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def new_access_key_id() -> str:
    body = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_CHARS - len(ID_PREFIX)))
    return ID_PREFIX + body


def give_secret(key: AwsAccessKey) -> str:
    """Give an unsaved access key its ID and a new secret (kept encrypted); the secret."""
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    key.access_key_id = new_access_key_id()
    key.encrypted_secret = _cipher().encrypt(secret.encode()).decode()
    return secret


def secret_of(key: AwsAccessKey) -> str:
    try:
        return _cipher().decrypt(key.encrypted_secret.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(key.access_key_id) from None


def issue_access_key(
    name: str, instances: Iterable[ConnectInstance] = (), *, all_instances: bool = False
) -> tuple[AwsAccessKey, str]:
    """A new access key and its secret, which is shown once and kept only encrypted."""
    key = AwsAccessKey(name=name, all_instances=all_instances)
    secret = give_secret(key)
    key.save()
    key.instances.set(list(instances))
    return key, secret
