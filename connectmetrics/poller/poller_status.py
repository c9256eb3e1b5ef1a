"""How the poller is doing, per Connect instance and source, in words for an admin.

Built from what the poll records on the source (last good poll, last error in
words; every kind's model keeps the same fields, `PolledRecord`), its rest
after failures (connectmetrics.poller.backoff) and the last hour's telemetry.
Reading Redis may fail (Redis restarting): the status then says what it could
not read instead of failing the admin page.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import redis
from django.utils import timezone

from connectmetrics.client import telemetry
from connectmetrics.client.telemetry import Tally, What
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.backoff import backoff_state
from connectmetrics.sources.key import SourceKey

UNKNOWN = "unknown: Redis does not answer"


@dataclass(frozen=True)
class PollerStatus:
    state: str  # "Polling", "Failing", "Not polled yet", "Disabled"
    failing: bool
    last_good_poll: datetime | None
    last_error: str  # the outcome in words with AWS's error class and message; "" if none
    last_error_at: datetime | None
    resting_until: datetime | None = None
    rest_unknown: bool = False
    calls_last_hour: int | None = None  # None: could not be read
    throttles_last_hour: int | None = None

    @property
    def summary(self) -> str:
        if self.resting_until is not None:
            return (
                f"{self.state}; next poll after {timezone.localtime(self.resting_until):%H:%M:%S}"
            )
        if self.rest_unknown:
            return f"{self.state}; next poll {UNKNOWN}"
        return self.state


def read_last_hour() -> Tally | None:
    try:
        return telemetry.last_hour()
    except redis.RedisError:
        return None


def _state(enabled: bool, failing: bool, last_good: datetime | None) -> str:
    if not enabled:
        return "Disabled"
    if failing:
        return "Failing"
    return "Polling" if last_good is not None else "Not polled yet"


class PolledRecord(Protocol):
    """A source's row as every kind's model keeps it."""

    @property
    def source_key(self) -> SourceKey: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def instance(self) -> ConnectInstance: ...

    @property
    def last_polled_at(self) -> datetime | None: ...

    @property
    def last_success_at(self) -> datetime | None: ...

    @property
    def last_error_message(self) -> str: ...


def source_status(record: PolledRecord, tally: Tally | None) -> PollerStatus:
    failing = bool(record.last_error_message)
    source = record.source_key
    resting_until, rest_unknown = None, False
    if failing:
        try:
            rest = backoff_state().get(source)
        except redis.RedisError:
            rest_unknown = True
        else:
            if rest is not None and rest.until > datetime.now(UTC).timestamp():
                resting_until = datetime.fromtimestamp(rest.until, UTC)
    enabled = record.enabled and record.instance.enabled
    return PollerStatus(
        state=_state(enabled, failing, record.last_success_at),
        failing=failing,
        last_good_poll=record.last_success_at,
        last_error=record.last_error_message,
        last_error_at=record.last_polled_at if failing else None,
        resting_until=resting_until,
        rest_unknown=rest_unknown,
        calls_last_hour=tally.of_source(What.UPSTREAM_CALLS, source) if tally else None,
        throttles_last_hour=tally.of_source(What.THROTTLES, source) if tally else None,
    )


def instance_status(instance: ConnectInstance, tally: Tally | None) -> PollerStatus:
    """The instance's last outcome (any of its sources' polls, or the admin's checks)."""
    error_at, success_at = instance.last_error_at, instance.last_success_at
    failing = error_at is not None and (success_at is None or error_at > success_at)
    last_error = ""
    if error_at is not None:
        last_error = instance.last_error_message
        if instance.last_error_class and instance.last_error_class not in last_error:
            last_error = f"{instance.last_error_class}: {last_error}"
    return PollerStatus(
        state=_state(instance.enabled, failing, success_at),
        failing=failing,
        last_good_poll=success_at,
        last_error=last_error,
        last_error_at=error_at,
        calls_last_hour=tally.of_instance(What.UPSTREAM_CALLS, instance.pk) if tally else None,
        throttles_last_hour=tally.of_instance(What.THROTTLES, instance.pk) if tally else None,
    )
