"""Counters of the poller's work: polls, upstream calls, throttles and failed polls.

Every process counts into one place, so any web process answers /metrics and
the admin for all of them: Redis in the full topology (workers poll, web
processes serve the API), this process in embedded mode.

A count names what happened, the instance, the source when it happened within
a poll (none otherwise: the API's own fetches, the admin's checks), and a
detail: the operation of an upstream call, "ok"/"failed" for a poll, the
outcome of a failed poll. Each count goes to

- the running totals (Prometheus counters: they only go up, and start again
  from zero only when Redis loses its data, which rate() takes in its stride);
- the bucket of the current minute, kept two hours, so "in the last hour" is
  the sum of the last 60 buckets, exact to the minute.

Redis keys: the hash cm:telemetry:total and the hashes cm:telemetry:m:<minute>
(epoch minutes), fields "<what>:<instance pk>:<source kind>:<source id>:<detail>"
("-:0" for the source outside a poll).

Upstream calls are counted where they happen: on botocore's
response-received event, which fires once per HTTP attempt (retries included,
AWS counts those against the quota too) whoever answers it, AWS or the
simulated centre.
"""

import contextvars
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, cast

import redis
from botocore.exceptions import ClientError

from connectmetrics.client.outcomes import Outcome, classify
from connectmetrics.sources.key import SourceKey
from dashboard.lib.shared_state import SharedPart

log = logging.getLogger(__name__)

BUCKET_SECONDS = 60
KEEP_SECONDS = 2 * 3600
HOUR_BUCKETS = 3600 // BUCKET_SECONDS


class What(StrEnum):
    POLLS = "polls"  # polls that reached the fetch; detail "ok" or "failed"
    POLL_ERRORS = "errors"  # failed polls; detail the outcome
    UPSTREAM_CALLS = "calls"  # HTTP attempts to Amazon Connect; detail the operation
    THROTTLES = "throttles"  # attempts Amazon Connect answered "throttled"; detail the operation


@dataclass(frozen=True)
class Count:
    what: What
    instance_id: int
    source: SourceKey | None  # None: not within a poll
    detail: str
    value: int


NO_SOURCE = "-:0"


def _field(what: What, instance_id: int, source: SourceKey | None, detail: str) -> str:
    return f"{what.value}:{instance_id}:{source or NO_SOURCE}:{detail}"


def _parse(field: str, value: int) -> Count | None:
    parts = field.split(":", 4)
    if len(parts) != 5 or parts[0] not in What._value2member_map_ or not parts[3].isdigit():
        return None
    what, instance_id, kind, source_id, detail = parts
    source = None if kind == "-" else SourceKey(kind, int(source_id))
    return Count(What(what), int(instance_id), source, detail, value)


def _counts(fields: Mapping[str, int]) -> list[Count]:
    parsed = (_parse(field, value) for field, value in fields.items())
    return [count for count in parsed if count is not None]


class TelemetryStore(Protocol):
    def add(self, fields: Mapping[str, int], minute: int) -> None: ...

    def totals(self) -> dict[str, int]: ...

    def since(self, first_minute: int, last_minute: int) -> dict[str, int]:
        """The buckets from first_minute to last_minute, summed."""
        ...


class LocalTelemetryStore:
    """Embedded mode: the one process that polls is the one that answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: Counter[str] = Counter()
        self._buckets: dict[int, Counter[str]] = {}

    def add(self, fields: Mapping[str, int], minute: int) -> None:
        with self._lock:
            self._totals.update(fields)
            self._buckets.setdefault(minute, Counter()).update(fields)
            oldest = minute - KEEP_SECONDS // BUCKET_SECONDS
            for old in [m for m in self._buckets if m < oldest]:
                del self._buckets[old]

    def totals(self) -> dict[str, int]:
        with self._lock:
            return dict(self._totals)

    def since(self, first_minute: int, last_minute: int) -> dict[str, int]:
        summed: Counter[str] = Counter()
        with self._lock:
            for minute, bucket in self._buckets.items():
                if first_minute <= minute <= last_minute:
                    summed.update(bucket)
        return dict(summed)


def _decoded(raw: Mapping[Any, Any]) -> dict[str, int]:
    return {
        (key.decode() if isinstance(key, bytes) else str(key)): int(value)
        for key, value in raw.items()
    }


class RedisTelemetryStore:
    total_key = "cm:telemetry:total"
    bucket_prefix = "cm:telemetry:m:"

    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client

    def add(self, fields: Mapping[str, int], minute: int) -> None:
        bucket = f"{self.bucket_prefix}{minute}"
        pipe = self.client.pipeline(transaction=False)
        for field, n in fields.items():
            pipe.hincrby(self.total_key, field, n)
            pipe.hincrby(bucket, field, n)
        pipe.expire(bucket, KEEP_SECONDS)
        pipe.execute()

    def totals(self) -> dict[str, int]:
        return _decoded(self.client.hgetall(self.total_key))

    def since(self, first_minute: int, last_minute: int) -> dict[str, int]:
        pipe = self.client.pipeline(transaction=False)
        for minute in range(first_minute, last_minute + 1):
            pipe.hgetall(f"{self.bucket_prefix}{minute}")
        summed: Counter[str] = Counter()
        for bucket in pipe.execute():
            summed.update(_decoded(bucket))
        return dict(summed)


telemetry_store: SharedPart[TelemetryStore] = SharedPart(
    "telemetry", local=LocalTelemetryStore, redis=lambda r: RedisTelemetryStore(r.sync())
)


def _minute(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // BUCKET_SECONDS)


def _add(fields: Mapping[str, int]) -> None:
    # Counting must never break what it counts: a poll or a call goes on without it.
    try:
        telemetry_store().add(fields, _minute())
    except redis.RedisError as error:
        log.warning("telemetry not counted (%s): %s", type(error).__name__, error)


# --- counting -------------------------------------------------------------------

_source: contextvars.ContextVar[SourceKey | None] = contextvars.ContextVar(
    "telemetry_source", default=None
)


@contextmanager
def within_poll(source: SourceKey) -> Iterator[None]:
    """Upstream calls made in this block are counted for this source too."""
    reset = _source.set(source)
    try:
        yield
    finally:
        _source.reset(reset)


def count_poll(instance_id: int, source: SourceKey, failure: Outcome | None) -> None:
    """A poll that reached the fetch: good (failure None) or failed with that outcome."""
    fields = {_field(What.POLLS, instance_id, source, "failed" if failure else "ok"): 1}
    if failure is not None:
        fields[_field(What.POLL_ERRORS, instance_id, source, failure.value)] = 1
    _add(fields)


def count_upstream_call(instance_id: int, operation: str, *, throttled: bool) -> None:
    """One HTTP attempt to Amazon Connect (for the source of the poll making it, if any)."""
    source = _source.get()
    fields = {_field(What.UPSTREAM_CALLS, instance_id, source, operation): 1}
    if throttled:
        fields[_field(What.THROTTLES, instance_id, source, operation)] = 1
    _add(fields)


def _was_throttled(parsed_response: Mapping[str, Any] | None, operation: str) -> bool:
    if not parsed_response:
        return False
    status = parsed_response.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
    if int(status) < 400:
        return False
    # The same reading of an error as everywhere else (connectmetrics.client.outcomes).
    error = classify(ClientError(cast(Any, dict(parsed_response)), operation))
    return error.outcome is Outcome.THROTTLED


def watch_client(client: Any, instance_id: int) -> None:
    """Count every HTTP attempt this boto3 Connect client makes, for that instance.

    Registering twice is harmless: the unique id makes it a no-op.
    """

    def on_response(
        event_name: str = "",
        parsed_response: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        count_upstream_call(
            instance_id, operation, throttled=_was_throttled(parsed_response, operation)
        )

    client.meta.events.register(
        "response-received.connect", on_response, unique_id="connect-wallboard-telemetry"
    )


# --- reading --------------------------------------------------------------------


def totals() -> list[Count]:
    """Everything counted since Redis (or this embedded process) started."""
    return _counts(telemetry_store().totals())


@dataclass(frozen=True)
class Tally:
    """Counts summed over a span, by instance and by source."""

    counts: list[Count]

    def of_instance(self, what: What, instance_id: int) -> int:
        return sum(c.value for c in self.counts if c.what is what and c.instance_id == instance_id)

    def of_source(self, what: What, source: SourceKey) -> int:
        return sum(c.value for c in self.counts if c.what is what and c.source == source)


def last_hour(now: float | None = None) -> Tally:
    """The last 60 minutes' counts (to the minute)."""
    current = _minute(now)
    return Tally(_counts(telemetry_store().since(current - HOUR_BUCKETS + 1, current)))
