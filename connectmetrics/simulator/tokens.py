"""Opaque NextTokens that any process with the same seed can read back.

A token carries what the next page needs: the request it belongs to (a key),
the snapshot moment (every page shows the same moment), the offset, and when it
was made (it expires five minutes later). It is signed with a key derived from
the seed, so an edited or foreign token is refused rather than misread.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Token:
    key: str  # what the request asked (see rules.request_key), or a list's parameters
    offset: int
    snapshot: float
    made: float


class TokenCodec:
    def __init__(self, secret: str) -> None:
        self._secret = hashlib.sha256(secret.encode()).digest()

    def encode(self, token: Token) -> str:
        body = base64.urlsafe_b64encode(json.dumps(asdict(token), sort_keys=True).encode())
        return f"{body.decode()}.{self._sign(body)}"

    def decode(self, text: str) -> Token | None:
        """The token, or None when it was not made by this centre."""
        body, _, signature = text.partition(".")
        if not hmac.compare_digest(signature, self._sign(body.encode())):
            return None
        try:
            fields = json.loads(base64.urlsafe_b64decode(body))
            return Token(
                key=str(fields["key"]),
                offset=int(fields["offset"]),
                snapshot=float(fields["snapshot"]),
                made=float(fields["made"]),
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            return None

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()[:32]
