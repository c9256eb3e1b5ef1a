"""Secrets the product issues, shown once; tokens stored only as a hash (display tokens,
API tokens).

The tokens are 256 random bits, so a plain SHA-256 is enough: there is no
password to brute-force, and a lookup by hash stays one indexed query. A
database dump therefore holds no usable token; `prefix` (the first characters)
tells an admin which token is which.
"""

import hashlib
import secrets
from typing import Any, Self

from django.db import models
from django.utils import timezone

PREFIX_CHARS = 8
# Longer than any token this makes: a longer one is not looked up at all.
MAX_TOKEN_CHARS = 200


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Credential(models.Model):
    """What every secret the product issues has: when it was made and when revoked."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class HashedToken(Credential):
    """A token kept only as its hash: display tokens and API tokens."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=PREFIX_CHARS, editable=False, help_text="The token's first characters."
    )

    class Meta:
        abstract = True

    def give_secret(self) -> str:
        """Give this (unsaved) token a new secret: its hash and prefix are set, and the
        secret is returned, to be shown once and never stored."""
        raw = new_token()
        self.token_hash = hash_token(raw)
        self.prefix = raw[:PREFIX_CHARS]
        return raw

    @classmethod
    def by_secret(cls, raw: str, **scope: Any) -> Self | None:
        """The token with that secret within `scope` (e.g. wallboard=...), revoked or
        not, or None: an empty or oversized secret is not looked up."""
        if not raw or len(raw) > MAX_TOKEN_CHARS:
            return None
        return cls._default_manager.filter(token_hash=hash_token(raw), **scope).first()
