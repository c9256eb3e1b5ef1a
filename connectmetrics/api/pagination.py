"""NextToken: opaque, signed, good for five minutes, bound to one request and one snapshot.

A token says where the next page starts: which Connect instance and which
canonical request it belongs to (rules.request_key), which kept snapshot the
walk reads (so every page shows the same moment) and the offset. It is signed
with django.core.signing, so an edited token is refused rather than misread,
and it carries when it was made, read against `clock` (tests move it).

A signature proves only who holds the key (a deployment that leaks it, or a
demo on a public key, signs whatever anyone asks), so a token is trusted no
further than its shape: every field must decode to its type and range, or the
token is a VALIDATION_ERROR like any other bad field.
"""

import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import signing

from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.connectapi.catalogue import NEXT_TOKEN_TTL_SECONDS

_SALT = "connectmetrics.api.next-token"
# A token this endpoint makes is about 200 characters; a longer one is not one of
# them, and is not decompressed (a signed zlib bomb stays small on the wire).
MAX_TOKEN_CHARS = 1000
# Web processes' clocks may differ by this much: a token made "later" than that is forged.
_CLOCK_SKEW_SECONDS = 60.0
_MAX_OFFSET = 2**31 - 1
_MAX_ID_CHARS = 100
NOT_OURS = "is not a token this endpoint made; send the one from the last page"

clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Position:
    snapshot_id: str
    offset: int


@dataclass(frozen=True)
class _Payload:
    made: float
    instance_pk: int
    request_key: str
    position: Position


def issue(*, instance_pk: int, request_key: str, snapshot_id: str, offset: int) -> str:
    payload = {"i": instance_pk, "r": request_key, "s": snapshot_id, "o": offset, "t": clock()}
    return signing.dumps(payload, salt=_SALT, compress=True)


def _refused(rule: str) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_ERROR, f"NextToken: {rule}")


def _whole(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= _MAX_ID_CHARS else None


def _decode(token: str) -> _Payload | None:
    """The token's fields, each of its type and in its range; None for anything else."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        payload: Any = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, zlib.error, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    made = payload.get("t")
    instance = _whole(payload.get("i"), 1, 2**63 - 1)
    key, snapshot_id = _text(payload.get("r")), _text(payload.get("s"))
    offset = _whole(payload.get("o"), 0, _MAX_OFFSET)
    if (
        not isinstance(made, int | float)
        or isinstance(made, bool)
        or not math.isfinite(made)
        or made > clock() + _CLOCK_SKEW_SECONDS
        or instance is None
        or key is None
        or snapshot_id is None
        or offset is None
    ):
        return None
    return _Payload(float(made), instance, key, Position(snapshot_id, offset))


def read(token: str, *, instance_pk: int, request_key: str) -> Position:
    """Where the page of this token starts, or a VALIDATION_ERROR naming why not."""
    payload = _decode(token)
    if payload is None:
        raise _refused(NOT_OURS)
    if clock() - payload.made > NEXT_TOKEN_TTL_SECONDS:
        raise _refused(
            f"expired: a NextToken is good for {NEXT_TOKEN_TTL_SECONDS // 60} minutes; "
            "start again without it"
        )
    if payload.instance_pk != instance_pk or payload.request_key != request_key:
        raise _refused(
            "belongs to a different request; send the same parameters (MaxResults aside) as "
            "the request that returned it"
        )
    return payload.position
