"""What a kind of source supplies to the poller.

The poller (connectmetrics/poller/polling.py) runs every poll the same way: it loads the
source through its kind, takes its lock, respects its backoff, waits for a turn of
its kind's API quota, then asks the source to check its request, fetch, build its
reading and its messages, and stores and publishes them. Everything a kind knows
and the poller does not is here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.db import models

from connectmetrics.sources.key import SourceKey

# Trend points of one poll: row key -> metric -> (bucket in epoch ms, value).
TrendPoints = dict[str, dict[str, tuple[int, int | float | None]]]
# The history the readings store keeps: row key -> metric -> points, oldest first.
Trends = dict[str, dict[str, list[tuple[int, int | float | None]]]]


class Instance(Protocol):
    """What the poller reads of a source's Connect instance."""

    @property
    def pk(self) -> Any: ...

    @property
    def name(self) -> str: ...

    @property
    def poll_interval(self) -> int: ...

    @property
    def quota_key(self) -> str: ...

    @property
    def enabled(self) -> bool:
        """Its sources are polled only while it is enabled."""
        ...

    def connection_identity(self) -> tuple[Any, ...]: ...


class Fetched(Protocol):
    """What a fetch returns; the poller reads only how much it cost."""

    @property
    def calls(self) -> int:
        """Requests sent (pages)."""
        ...

    @property
    def rows(self) -> Sequence[Any]: ...


class Body(Protocol):
    """The part of a message a poll decides: numbers, status and reason."""

    def shown_at(self) -> str | None:
        """When the numbers it shows are from (ISO 8601), None when it shows none."""
        ...


@dataclass(frozen=True)
class Reading:
    """A good poll, built by its source: the message body and its trend points."""

    body: Body
    # The trend bucket (epoch ms, connectmetrics/wire/message_builder.py `trend_bucket`) of
    # when the numbers are from, and each row's points in it.
    bucket: int
    trend_points: TrendPoints = field(default_factory=dict)


class Source(Protocol):
    """One source loaded for one poll."""

    @property
    def key(self) -> SourceKey: ...

    @property
    def name(self) -> str: ...

    @property
    def enabled(self) -> bool:
        """It and its instance are enabled."""
        ...

    @property
    def instance(self) -> Instance: ...

    def request(self) -> dict[str, Any]:
        """The Connect request (also what a rest after failures depends on)."""
        ...

    def check(self, request: Mapping[str, Any]) -> None:
        """Raise UpstreamError(INVALID_REQUEST) when the request rules refuse it: the
        poll then fails before spending quota on a call AWS would refuse."""
        ...

    def fetch(self, request: Mapping[str, Any]) -> Fetched:
        """Every page of the request (raises UpstreamError); runs within its quota turn."""
        ...

    def learn(self, request: Mapping[str, Any], fetched: Fetched, fetched_at: datetime) -> None:
        """A good poll's answer for the endpoint's answer cache (other tools read it)."""
        ...

    def record(self, polled_at: datetime, *, error: str = "") -> None:
        """Note the poll's outcome on the source (the admin's "last polled", errors)."""
        ...

    def reading(self, fetched: Fetched, fetched_at: datetime) -> Reading: ...

    def failed_body(self, last_good: Body | None, reason: str) -> Body:
        """After a failed poll: the last good numbers marked stale, or an error."""
        ...

    def encode_body(self, body: Body) -> str: ...

    def decode_body(self, text: str | bytes) -> Body: ...

    def snapshot_text(
        self, *, seq: int, body: Body, published_at: datetime, build: str, trends: Trends
    ) -> str:
        """The `snapshot` message: everything a screen starts from."""
        ...

    def update_text(
        self,
        base_text: str,
        *,
        seq: int,
        body: Body,
        published_at: datetime,
        build: str,
        bucket: int | None,
    ) -> str:
        """The `update` message: what changed since the snapshot `base_text`."""
        ...


class SourceKind(Protocol):
    """A kind of source: which API answers it, where its sources live, how screens get it."""

    @property
    def name(self) -> str:
        """The first part of its source keys, e.g. "queue_filter"."""
        ...

    @property
    def api(self) -> str:
        """The Connect API its polls call: their quota (connectmetrics/client/quotas.py)."""
        ...

    def pollable(self) -> list[tuple[int, int]]:
        """(source ID, poll interval) of every enabled source of an enabled instance."""
        ...

    def load(self, source_id: int) -> Source | None:
        """The source for one poll; None when it was deleted."""
        ...

    def waiting_text(self, source_id: int, published_at: datetime, build: str) -> str:
        """The snapshot text a screen gets before the source's first poll."""
        ...


def enabled_sources(model: type[models.Model]) -> list[tuple[int, int]]:
    """`SourceKind.pollable` for a kind whose model has `enabled` and an `instance`:
    the enabled sources of enabled instances, with their instance's poll interval."""
    rows = model._default_manager.filter(enabled=True, instance__enabled=True).values_list(
        "id", "instance__poll_interval"
    )
    return [(int(i), int(interval)) for i, interval in rows]
