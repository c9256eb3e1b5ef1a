"""GetCurrentUserData and GetMetricDataV2 from the cache: the path both endpoints share.

The envelope endpoints (views.py) and the drop-in Connect endpoint (connectmetrics/awsapi)
take the same request, checked by the rules the simulated centre enforces (the one
place they are written), and get one page of the answer here; each only writes the page
its way. The answer comes, in this order, from:

1. the snapshot of that very request, if fresher than the instance's poll interval;
2. the fresh poll of a source that covers the request: each kind of source plugs in its
   cover for the operation its polls call (COVERS), which reads the poll its source
   kept with `keep_source_poll`, and a request no source covers goes on to 3. Sources
   keep their polls only while callers ask for the operation on their instance
   (`wanted`, for WANTED_FOR seconds after a request), so a poller whose answers no
   tool reads spends nothing on them; the first request after a quiet spell is fetched;
3. one upstream fetch shared by every caller asking the same (cache.shared_fetch, so N
   callers at once make one call), after its turn of the operation's own quota from the
   rate governor; the answer is kept for the poll interval.

Pages are cut from one snapshot and walked with the metrics endpoint's NextTokens, so
every page of a walk shows the same moment.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import redis
from django.utils import timezone
from django.utils.module_loading import import_string

from connectmetrics.api import cache, pagination
from connectmetrics.api.answers import walk_lost
from connectmetrics.api.store import Snapshot, answer_store
from connectmetrics.client.client import client_for
from connectmetrics.client.governor import pace_client, prepaid_call
from connectmetrics.client.outcomes import UpstreamError
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA, GET_METRIC_DATA_V2
from connectmetrics.models import ConnectInstance
from connectmetrics.sources.key import SourceKey

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asked:
    """A request the rules accepted."""

    operation: str  # the Connect API (its quota)
    key: str  # what was asked, MaxResults and NextToken aside (a NextToken is bound to it)
    request: dict[str, Any]  # what is sent upstream, without MaxResults and NextToken
    parsed: Any  # the rules' reading of it (the simulated centre's request type)
    size: int  # MaxResults
    next_token: str | None


class Operation(Protocol):
    """A Connect read answered as records."""

    @property
    def name(self) -> str:
        """The Connect API, as connectmetrics/client/quotas.py names it."""
        ...

    @property
    def results(self) -> str:
        """The answer's member holding the records (UserDataList, MetricResults)."""
        ...

    @property
    def counted(self) -> bool:
        """Whether Connect's answer carries ApproximateTotalCount."""
        ...

    def ask(self, instance: ConnectInstance, body: Any) -> Asked:
        """The request, or the simulated centre's ApiError naming the field and the rule."""
        ...

    def fetch(self, instance: ConnectInstance, asked: Asked) -> list[dict[str, Any]]:
        """Every page of the answer's records, as the wire carries them (raises
        UpstreamError); runs within its quota turn."""
        ...


@dataclass(frozen=True)
class Covered:
    """A request answered from a source's poll: the records, and when they were fetched."""

    records: list[dict[str, Any]]
    fetched_at: datetime


# (instance, request) -> the records of a fresh poll covering it, or None.
Cover = Callable[[ConnectInstance, Asked], Covered | None]

# The operations answered as records, by Connect API, by dotted path (loaded on first use:
# an operation belongs with the kind of source that polls it, which imports this module).
OPERATIONS: dict[str, str] = {
    GET_CURRENT_USER_DATA: "connectmetrics.agents.operation.USER_DATA",
    GET_METRIC_DATA_V2: "connectmetrics.api.metric_data.METRIC_DATA",
}

# Per operation, the covers of the kinds of source that poll it, by dotted path (loaded
# on first use, so this module imports no kind). A new kind adds its cover here.
COVERS: dict[str, tuple[str, ...]] = {
    GET_CURRENT_USER_DATA: ("connectmetrics.agents.cover.cover",),
    GET_METRIC_DATA_V2: ("connectmetrics.today.cover.cover",),
}


def operation(name: str) -> Operation:
    found: Operation = import_string(OPERATIONS[name])
    return found


# How long after a request for an operation the sources polling it keep their polls.
WANTED_FOR = 600.0


def _wanted_name(instance: ConnectInstance, operation: str) -> str:
    return f"{instance.pk}:{operation}"


def wanted(instance: ConnectInstance, operation: str) -> bool:
    """Whether callers asked for `operation` on the instance in the last WANTED_FOR seconds:
    a source polling it then keeps its polls (`keep_source_poll`). Raises redis.RedisError."""
    return answer_store().wanted(_wanted_name(instance, operation))


def covers(operation: str) -> list[Cover]:
    return [import_string(path) for path in COVERS.get(operation, ())]


def _source_key(source: SourceKey) -> str:
    return f"source:{source}"


def keep_source_poll(
    instance: ConnectInstance,
    source: SourceKey,
    records: list[dict[str, Any]],
    fetched_at: datetime,
    interval: float | None = None,
) -> None:
    """Keep a source's good poll (its records as the wire carries them) for the covers,
    until its next poll: `interval` seconds (by default the instance's poll interval).

    Raises redis.RedisError: the caller decides whether its poll may fail for it.
    """
    snapshot = Snapshot(
        id=Snapshot.new_id(),
        canonical={"source": str(source)},
        metrics=[],
        rows=[],
        data_snapshot_time=None,
        fetched_at=fetched_at,
        records=records,
    )
    answer_store().keep(
        instance.pk,
        _source_key(source),
        snapshot,
        ttl=max(cache.keep_for(instance), 2.0 * (interval or 0)),
        polled=False,
    )


def keep_while_wanted(
    instance: ConnectInstance,
    operation: str,
    source: SourceKey,
    records: Callable[[], list[dict[str, Any]]],
    fetched_at: datetime,
    interval: float | None = None,
) -> None:
    """A source's `learn`: keep its good poll's `records()` (`keep_source_poll`) while tools
    ask for `operation` on the instance (`wanted`). The cache only saves quota: when Redis
    refuses, it is logged and the poll itself goes on."""
    try:
        if wanted(instance, operation):
            keep_source_poll(instance, source, records(), fetched_at, interval)
    except redis.RedisError:
        log.warning("Could not keep the poll of %s for the endpoints", source, exc_info=True)


def source_poll(
    instance: ConnectInstance, source: SourceKey, interval: float | None = None
) -> Snapshot | None:
    """The source's last good poll, if younger than the source's poll interval (by default
    the instance's)."""
    return cache.fresh(answer_store(), instance, _source_key(source), interval)


@dataclass(frozen=True)
class RecordsPage:
    records: list[dict[str, Any]]
    next_token: str | None
    total: int  # records over every page
    fetched_at: datetime


def answer_page(
    instance: ConnectInstance, operation: Operation, asked: Asked, *, token_scope: str = ""
) -> RecordsPage:
    """The page of `asked` its NextToken points at (the first without one).

    `token_scope` keeps one endpoint's NextTokens from paging the other's answers.
    """
    token_key = f"{token_scope}:{asked.key}" if token_scope else asked.key
    snapshot: Snapshot | None
    if asked.next_token:
        position = pagination.read(asked.next_token, instance_pk=instance.pk, request_key=token_key)
        snapshot = cache.snapshot(position.snapshot_id)
        offset = position.offset
    else:
        snapshot = _answer(instance, operation, asked)
        offset = 0
    if snapshot is None:
        raise walk_lost()
    total = len(snapshot.records)
    following = None
    if offset + asked.size < total:
        following = pagination.issue(
            instance_pk=instance.pk,
            request_key=token_key,
            snapshot_id=snapshot.id,
            offset=offset + asked.size,
        )
        cache.pin(snapshot)
    return RecordsPage(
        snapshot.records[offset : offset + asked.size], following, total, snapshot.fetched_at
    )


def _snapshot(asked: Asked, records: list[dict[str, Any]], fetched_at: datetime) -> Snapshot:
    return Snapshot(
        id=Snapshot.new_id(),
        canonical={"operation": asked.operation, "key": asked.key},
        metrics=[],
        rows=[],
        data_snapshot_time=None,
        fetched_at=fetched_at,
        records=records,
    )


def _answer(instance: ConnectInstance, operation: Operation, asked: Asked) -> Snapshot:
    store = answer_store()
    kept = cache.fresh(store, instance, asked.key)
    if kept is not None:
        return kept
    kinds_covers = covers(operation.name)
    if kinds_covers:
        store.want(_wanted_name(instance, operation.name), WANTED_FOR)
    for cover in kinds_covers:
        covered = cover(instance, asked)
        if covered is not None:
            snapshot = _snapshot(asked, covered.records, covered.fetched_at)
            store.keep(instance.pk, asked.key, snapshot, ttl=cache.keep_for(instance), polled=False)
            return snapshot
    return cache.shared_fetch(
        store, instance, asked.key, lambda: _fetch(instance, operation, asked)
    )


def _fetch(instance: ConnectInstance, operation: Operation, asked: Asked) -> Snapshot:
    quota = cache.take_quota_turn(answer_store(), instance, operation.name)
    try:
        pace_client(client_for(instance), instance.quota_key)
        with prepaid_call(quota, instance.quota_key, operation.name):
            records = operation.fetch(instance, asked)
    except UpstreamError as error:
        raise cache.as_api_error(error) from error
    return _snapshot(asked, records, timezone.now())


def without_paging(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request's parameters that say what is asked (not InstanceId, MaxResults or
    NextToken)."""
    return {
        key: value
        for key, value in body.items()
        if key not in ("InstanceId", "MaxResults", "NextToken")
    }
