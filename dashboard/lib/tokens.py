"""Secret tokens shown once and stored only as a hash.

The tokens are 256 random bits, so a plain SHA-256 is enough: there is no
password to brute-force, and a lookup by hash stays one indexed query.
"""

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
