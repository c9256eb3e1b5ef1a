"""Secrets the product must be able to use again, kept sealed: an AWS access key's secret
(Signature Version 4 is an HMAC keyed with the secret itself, so a hash cannot work), an
alert destination's webhook URL and signing key.

Sealed means encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography`
package) under a key derived from settings.SECRET_KEY with HKDF-SHA256, so a database
dump without the server's settings reveals no usable secret. Keys derived from
SECRET_KEY_FALLBACKS still unseal (MultiFernet), so rotating SECRET_KEY the way Django
documents it keeps sealed values readable; a value sealed under a key the server no
longer has is `Unreadable`.
"""

import base64
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

_HKDF_INFO = b"connect-wallboard sealed secrets"


class Unreadable(Exception):
    """Sealed under a SECRET_KEY this server no longer has."""


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


def seal(plain: str) -> str:
    return _cipher().encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _cipher().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable from None


class SealedTextField(models.TextField):
    """A text field kept sealed in the database and plain in Python; a value sealed under
    a key the server no longer has reads as "" (it must be entered again)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        try:
            return unseal(value)
        except Unreadable:
            return ""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return seal(value) if value else value
