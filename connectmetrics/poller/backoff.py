"""How long a source rests after a failed poll, and the state that remembers it.

The table, by what went wrong:

| outcome         | after the n-th failure in a row            | why                           |
|-----------------|--------------------------------------------|-------------------------------|
| throttled       | next poll 2^(n-1) intervals later, <= 60 s | the quota refills in seconds  |
| unavailable     | next poll 2^(n-1) intervals later, <= 60 s | outages are usually short     |
| not found       | rest 5 min x 2^(n-1), at most 30 min       | needs an admin to fix it      |
| access denied   | rest 5 min x 2^(n-1), at most 30 min       | needs an admin to fix it      |
| invalid request | rest 15 min x 2^(n-1), at most 1 h         | needs an admin to fix it      |

So a single throttled poll costs nothing more than itself (botocore has already
retried it): the next interval polls as usual, and only a run of failures skips
1, 3, 7... intervals. The short rests end half an interval before the poll they
let through, so the schedule's small jitter never skips one more.

A rest ends early when the admin changes what was failing: the state keeps a
fingerprint of the instance's connection settings and the source's request,
and a poll with a different fingerprint ignores it. A good poll clears it.
"""

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from connectmetrics.client.outcomes import Outcome
from connectmetrics.sources.key import SourceKey
from dashboard.lib.shared_state import SharedPart

SHORT_REST_CAP = 60.0
ADMIN_REST = 300.0
ADMIN_REST_CAP = 1800.0
INVALID_REST = 900.0
INVALID_REST_CAP = 3600.0


def rest_seconds(outcome: Outcome, failures: int, interval: float) -> float:
    """Seconds to rest after the `failures`-th failure in a row (1 for the first)."""
    n = max(1, failures)
    if outcome in (Outcome.THROTTLED, Outcome.UNAVAILABLE):
        return min(SHORT_REST_CAP, interval * 2 ** (n - 1)) - interval / 2
    if outcome in (Outcome.NOT_FOUND, Outcome.ACCESS_DENIED):
        return min(ADMIN_REST_CAP, ADMIN_REST * 2 ** (n - 1))
    return min(INVALID_REST_CAP, INVALID_REST * 2 ** (n - 1))


def fingerprint(*parts: Any) -> str:
    """A short digest of what a poll depends on (connection settings, the request)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rest:
    until: float  # epoch seconds
    failures: int
    outcome: str
    fingerprint: str

    def remaining(self, now: float, current_fingerprint: str) -> float:
        if current_fingerprint != self.fingerprint:
            return 0.0
        return max(0.0, self.until - now)


class BackoffState(Protocol):
    def get(self, source: SourceKey) -> Rest | None: ...

    def record_failure(
        self, source: SourceKey, outcome: Outcome, interval: float, fingerprint: str
    ) -> Rest: ...

    def clear(self, source: SourceKey) -> None: ...


def _next_rest(previous: Rest | None, outcome: Outcome, interval: float, fp: str) -> Rest:
    same_trouble = previous is not None and previous.fingerprint == fp
    failures = previous.failures + 1 if previous is not None and same_trouble else 1
    return Rest(
        until=time.time() + rest_seconds(outcome, failures, interval),
        failures=failures,
        outcome=outcome.value,
        fingerprint=fp,
    )


class LocalBackoffState:
    def __init__(self) -> None:
        self._rests: dict[SourceKey, Rest] = {}
        self._lock = threading.Lock()

    def get(self, source: SourceKey) -> Rest | None:
        with self._lock:
            return self._rests.get(source)

    def record_failure(
        self, source: SourceKey, outcome: Outcome, interval: float, fingerprint: str
    ) -> Rest:
        with self._lock:
            rest = _next_rest(self._rests.get(source), outcome, interval, fingerprint)
            self._rests[source] = rest
            return rest

    def clear(self, source: SourceKey) -> None:
        with self._lock:
            self._rests.pop(source, None)


class RedisBackoffState:
    """One JSON value per source, kept a day past its rest so the count survives."""

    prefix = "cm:backoff:"

    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client

    def get(self, source: SourceKey) -> Rest | None:
        raw = self.client.get(f"{self.prefix}{source}")
        return Rest(**json.loads(raw)) if raw else None

    def record_failure(
        self, source: SourceKey, outcome: Outcome, interval: float, fingerprint: str
    ) -> Rest:
        # Only the poll holding the source's lock records, so read-then-write is safe.
        rest = _next_rest(self.get(source), outcome, interval, fingerprint)
        self.client.set(
            f"{self.prefix}{source}",
            json.dumps(rest.__dict__),
            ex=int(rest.until - time.time()) + 86400,
        )
        return rest

    def clear(self, source: SourceKey) -> None:
        self.client.delete(f"{self.prefix}{source}")


backoff_state: SharedPart[BackoffState] = SharedPart(
    "backoff", local=LocalBackoffState, redis=lambda r: RedisBackoffState(r.sync())
)
