"""The answer cache: one upstream fetch serves every caller asking the same thing.

For a canonical request (rules.canonical_request) the endpoint answers from,
in this order:

1. the snapshot of that very request, if it is fresher than the instance's
   poll interval;
2. a snapshot the poller keeps that answers it exactly (derive.py), if one is
   fresher than the poll interval (the newest such);
3. one upstream fetch, shared: the first caller takes a lock (in Redis, so
   across every web process), waits for its turn of the account's quota from
   the rate governor and fetches;
   callers asking the same meanwhile wait for its snapshot, or its failure.
   When the quota's next turn is more than QUOTA_PATIENCE away the caller gets
   THROTTLED with that wait as Retry-After, and AWS never sees the call.

`shared_fetch` is the single-flight of step 3 for any fetch: GetCurrentUserData
and GetMetricDataV2 (records.py) share it. The poller feeds every good poll in
through `remember_poll`. In the full topology a web process keeps the snapshot
it chose for a request for CHOICE_KEPT seconds (while it is still fresher than
the poll interval), so a caller asking again and again costs Redis one lookup
per that long.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.utils import timezone

from connectmetrics.api.derive import derivable, metric_names, sort_of
from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.api.store import AnswerStore, Failure, Snapshot, answer_store
from connectmetrics.client.client import FetchResult, client_for, fetch_current_metrics
from connectmetrics.client.governor import Governor, governor, pace_client, prepaid_call
from connectmetrics.client.outcomes import DESCRIPTIONS, Outcome, UpstreamError
from connectmetrics.client.quotas import GET_CURRENT_METRIC_DATA
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import METRICS, NEXT_TOKEN_TTL_SECONDS, Grouping
from connectmetrics.models import ConnectInstance, Queue

log = logging.getLogger(__name__)

# A snapshot is kept twice the poll interval (so a fresh one always has its
# rows), and at least this long.
KEEP_AT_LEAST = 30.0
# A snapshot a NextToken walks is kept as long as the token is good, and a margin.
PINNED_FOR = NEXT_TOKEN_TTL_SECONDS + 30.0
# The longest a shared fetch may take, pages and botocore's retries included;
# its lock expires after this, so a web process killed mid-fetch never blocks
# the request for longer.
FLIGHT_TTL = 60.0
# The longest a caller waits for its turn of the account's quota; a longer line
# is THROTTLED with Retry-After.
QUOTA_PATIENCE = 1.0
# How often a waiting caller looks whether the shared fetch has landed.
FLIGHT_POLL = 0.02
# How long a web process answers a request from the snapshot it chose for it before
# asking Redis again which is the newest: a newer one (the next poll) is answered from
# at most this much later, and a busy caller costs Redis one lookup per this long.
CHOICE_KEPT = 0.5
_MAX_CHOICES = 1024
_choices: dict[tuple[int, str], tuple[float, Snapshot]] = {}
_choices_lock = threading.Lock()


def keep_for(instance: ConnectInstance) -> float:
    return max(KEEP_AT_LEAST, 2.0 * instance.poll_interval)


def _flight(instance: ConnectInstance, request_key: str) -> str:
    return f"{instance.pk}:{request_key}"


def remember_poll(
    instance: ConnectInstance,
    canonical_request: dict[str, Any],
    result: FetchResult,
    fetched_at: datetime,
) -> None:
    """Keep a good poll's rows so the endpoint answers from them.

    The poller calls this after every successful fetch. The API cache only
    saves quota: when Redis refuses, the poll itself must not fail, so the
    error is logged, not raised.
    """
    snapshot = Snapshot(
        id=Snapshot.new_id(),
        canonical=canonical_request,
        metrics=list(result.metrics) or metric_names(canonical_request),
        rows=list(result.rows),
        data_snapshot_time=result.data_snapshot_time,
        fetched_at=fetched_at,
    )
    try:
        answer_store().keep(
            instance.pk,
            rules.request_key(canonical_request),
            snapshot,
            ttl=keep_for(instance),
            polled=True,
        )
    except redis.RedisError:
        log.warning(
            "Could not keep the poll of %s for the metrics endpoint", instance, exc_info=True
        )


def answer(instance: ConnectInstance, canonical: dict[str, Any]) -> Snapshot:
    """The snapshot to answer `canonical` from (raises ApiError, or redis.RedisError)."""
    store = answer_store()
    request_key = rules.request_key(canonical)
    choice = (instance.pk, request_key)
    snapshot = _chosen(choice, instance)
    if snapshot is not None:
        return snapshot
    snapshot = (
        fresh(store, instance, request_key)
        or _fresh_poll_answering(store, instance, canonical)
        or shared_fetch(
            store, instance, request_key, lambda: _fetch_metrics(store, instance, canonical)
        )
    )
    if not settings.EMBEDDED:
        with _choices_lock:
            if len(_choices) >= _MAX_CHOICES:
                _choices.clear()
            _choices[choice] = (time.monotonic(), snapshot)
    return snapshot


def _chosen(choice: tuple[int, str], instance: ConnectInstance) -> Snapshot | None:
    """The snapshot this process chose for the request less than CHOICE_KEPT ago, still fresh."""
    with _choices_lock:
        kept = _choices.get(choice)
    if kept is None:
        return None
    chosen_at, snapshot = kept
    fresh = (timezone.now() - snapshot.fetched_at).total_seconds() < instance.poll_interval
    return snapshot if fresh and time.monotonic() - chosen_at < CHOICE_KEPT else None


def snapshot(snapshot_id: str) -> Snapshot | None:
    """A kept snapshot by id (for the next page of a walk)."""
    return answer_store().snapshot(snapshot_id)


def pin(snapshot: Snapshot) -> None:
    """Keep a snapshot while a NextToken may walk it."""
    answer_store().pin(snapshot, PINNED_FOR)


def fresh(
    store: AnswerStore, instance: ConnectInstance, request_key: str, within: float | None = None
) -> Snapshot | None:
    """The snapshot kept for this very request, if younger than `within` seconds (by default
    the instance's poll interval)."""
    pointer = store.pointer(instance.pk, request_key)
    if pointer is None or pointer.age() >= (within or instance.poll_interval):
        return None
    return store.snapshot(pointer.snapshot_id)


def _fresh_poll_answering(
    store: AnswerStore, instance: ConnectInstance, canonical: dict[str, Any]
) -> Snapshot | None:
    candidates = [
        pointer
        for pointer in store.polled(instance.pk)
        if pointer.age() < instance.poll_interval
        and derivable(canonical, pointer.canonical, pointer.metrics)
    ]
    for pointer in sorted(candidates, key=lambda p: p.fetched_at, reverse=True):
        snapshot = store.snapshot(pointer.snapshot_id)
        if snapshot is not None:
            return snapshot
    return None


def shared_fetch(
    store: AnswerStore,
    instance: ConnectInstance,
    request_key: str,
    fetch: Callable[[], Snapshot],
) -> Snapshot:
    """One `fetch` for every caller asking `request_key` now (in every web process).

    The first caller takes the flight's lock and fetches; the others wait for its
    snapshot, or its failure, which is kept for the poll interval (or until the quota
    refills) so that callers asking meanwhile get it rather than spend another call.
    """
    flight = _flight(instance, request_key)
    deadline = time.monotonic() + FLIGHT_TTL
    while True:
        token = store.take_flight(flight, FLIGHT_TTL)
        if token is not None:
            try:
                # The flight before ours may have landed between our look and our lock,
                # with a snapshot or a failure.
                _raise_failure(store, flight)
                kept = fresh(store, instance, request_key)
                return kept or _fetch_and_keep(store, instance, request_key, flight, fetch)
            finally:
                store.land_flight(flight, token)
        if time.monotonic() > deadline:
            raise ApiError(
                ErrorCode.UNAVAILABLE,
                "The shared fetch of this answer did not finish in time; retry shortly.",
            )
        time.sleep(FLIGHT_POLL)
        kept = fresh(store, instance, request_key)
        if kept is not None:
            return kept
        _raise_failure(store, flight)


def _raise_failure(store: AnswerStore, flight: str) -> None:
    failure = store.failure(flight)
    if failure is not None:
        raise ApiError(ErrorCode(failure.code), failure.message, retry_after=failure.retry_after)


def _fetch_and_keep(
    store: AnswerStore,
    instance: ConnectInstance,
    request_key: str,
    flight: str,
    fetch: Callable[[], Snapshot],
) -> Snapshot:
    try:
        snapshot = fetch()
    except ApiError as error:
        kept_for = error.retry_after if error.code is ErrorCode.THROTTLED else None
        store.record_failure(
            flight,
            Failure(str(error.code), error.message, error.retry_after),
            kept_for or instance.poll_interval,
        )
        raise
    store.keep(instance.pk, request_key, snapshot, ttl=keep_for(instance), polled=False)
    return snapshot


def _upstream_request(canonical: dict[str, Any]) -> dict[str, Any]:
    """The request sent: the asked one, plus the sort metric when it is not asked.

    The endpoint sorts and pages itself, so it needs the sort metric's values;
    it is added only where the rules allow it with the rest of the request.
    """
    sort_metric, _ = sort_of(canonical)
    if sort_metric in metric_names(canonical):
        return canonical
    with_sort_metric = {
        **canonical,
        "CurrentMetrics": [
            *canonical["CurrentMetrics"],
            {"Name": sort_metric, "Unit": str(METRICS[sort_metric].unit)},
        ],
    }
    return canonical if rules.check_request(with_sort_metric) else with_sort_metric


def _configured_queues(instance: ConnectInstance, canonical: dict[str, Any]) -> list[str]:
    """The asked queues the instance's catalogue knows: idle ones are answered as zeros."""
    groupings = canonical["Groupings"]
    asked = canonical["Filters"].get("Queues", [])
    if not asked or not groupings or groupings[0] != Grouping.QUEUE:
        return []
    return list(
        Queue.objects.filter(instance=instance, queue_id__in=asked).values_list(
            "queue_id", flat=True
        )
    )


def _fetch_metrics(
    store: AnswerStore, instance: ConnectInstance, canonical: dict[str, Any]
) -> Snapshot:
    result = _fetch_under_quota(store, instance, _upstream_request(canonical), canonical)
    return Snapshot(
        id=Snapshot.new_id(),
        canonical=canonical,
        metrics=list(result.metrics),
        rows=list(result.rows),
        data_snapshot_time=result.data_snapshot_time,
        fetched_at=timezone.now(),
    )


def take_quota_turn(
    store: AnswerStore, instance: ConnectInstance, operation: str = GET_CURRENT_METRIC_DATA
) -> Governor:
    """Wait for this call's turn of the account's quota, or refuse with THROTTLED.

    The governor hands out turns in order (a reserved turn is spent whether used
    or not), so a caller waits for a turn that is near and is refused when the
    line is long. After a refusal, the quota is not asked again until that turn
    is due: a busy API caller never pushes the wallboards' polls further back.
    Each operation has its own quota (connectmetrics/client/quotas.py): the caller spends
    the turn it got in `prepaid_call(quota, instance.quota_key, operation)`.
    """
    refused = f"quota:{instance.quota_key}:{operation}"
    failure = store.failure(refused)
    if failure is not None:
        raise ApiError(ErrorCode(failure.code), failure.message, retry_after=failure.retry_after)
    quota = governor()
    wait = quota.reserve(instance.quota_key, operation)
    if wait > QUOTA_PATIENCE:
        message = (
            f"The {operation} quota of this AWS account and Region is spent for now; "
            f"retry in {wait:.1f} s."
        )
        store.record_failure(refused, Failure(str(ErrorCode.THROTTLED), message, wait), wait)
        raise ApiError(ErrorCode.THROTTLED, message, retry_after=wait)
    time.sleep(wait)
    return quota


def _fetch_under_quota(
    store: AnswerStore,
    instance: ConnectInstance,
    request: dict[str, Any],
    canonical: dict[str, Any],
) -> FetchResult:
    quota = take_quota_turn(store, instance)
    try:
        pace_client(client_for(instance), instance.quota_key)
        with prepaid_call(quota, instance.quota_key, GET_CURRENT_METRIC_DATA):
            return fetch_current_metrics(
                instance, request, expected_queue_ids=_configured_queues(instance, canonical)
            )
    except UpstreamError as error:
        raise as_api_error(error) from error


def as_api_error(error: UpstreamError) -> ApiError:
    if error.outcome is Outcome.THROTTLED:
        return ApiError(ErrorCode.THROTTLED, f"{error.description}; retry shortly.", retry_after=1)
    if error.outcome is Outcome.INVALID_REQUEST:
        return ApiError(
            ErrorCode.VALIDATION_ERROR, f"{DESCRIPTIONS[error.outcome]}: {error.message}"
        )
    return ApiError(ErrorCode.UPSTREAM_ERROR, f"{error.description}.")
