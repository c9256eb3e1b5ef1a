"""Secrets an alert destination must be able to use again (a Slack webhook URL, a signing
key), stored sealed: encrypted with a key derived from SECRET_KEY, so a database dump alone
reveals no usable secret. Changing SECRET_KEY makes sealed values unreadable: they must then
be entered again.
"""

import base64
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models

SEALED_PREFIX = "sealed:"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"connect-wallboard alert secrets\0" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def seal(plain: str) -> str:
    return SEALED_PREFIX + _fernet().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    """The plain value; "" when it cannot be read (sealed under another SECRET_KEY)."""
    if not stored.startswith(SEALED_PREFIX):
        return stored
    try:
        return _fernet().decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()
    except InvalidToken:
        return ""


class SealedTextField(models.TextField):
    """A text field kept sealed in the database and plain in Python."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else unseal(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return seal(value) if value else value
