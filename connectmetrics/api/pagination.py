"""NextToken: opaque, signed, good for five minutes, bound to one request and one snapshot.

A token says where the next page starts: which Connect instance and which
canonical request it belongs to (rules.request_key), which kept snapshot the
walk reads (so every page shows the same moment) and the offset. It is signed
with django.core.signing, so an edited token is refused rather than misread,
and it carries when it was made, read against `clock` (tests move it).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import signing

from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.catalogue import NEXT_TOKEN_TTL_SECONDS

_SALT = "connectmetrics.api.next-token"

clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Position:
    snapshot_id: str
    offset: int


def issue(*, instance_pk: int, request_key: str, snapshot_id: str, offset: int) -> str:
    payload = {"i": instance_pk, "r": request_key, "s": snapshot_id, "o": offset, "t": clock()}
    return signing.dumps(payload, salt=_SALT, compress=True)


def _refused(rule: str) -> ApiError:
    return ApiError(ErrorCode.VALIDATION_ERROR, f"NextToken: {rule}")


def read(token: str, *, instance_pk: int, request_key: str) -> Position:
    """Where the page of this token starts, or a VALIDATION_ERROR naming why not."""
    try:
        payload: Any = signing.loads(token, salt=_SALT)
        made, instance, key = float(payload["t"]), payload["i"], payload["r"]
        position = Position(str(payload["s"]), int(payload["o"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise _refused(
            "is not a token this endpoint made; send the one from the last page"
        ) from None
    if clock() - made > NEXT_TOKEN_TTL_SECONDS:
        raise _refused(
            f"expired: a NextToken is good for {NEXT_TOKEN_TTL_SECONDS // 60} minutes; "
            "start again without it"
        )
    if instance != instance_pk or key != request_key:
        raise _refused(
            "belongs to a different request; send the same InstanceId, Filters, Groupings, "
            "CurrentMetrics and SortCriteria as the request that returned it"
        )
    return position
