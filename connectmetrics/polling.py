"""THE poll: one queue filter, from "it is due" to "a snapshot is stored and published".

Celery's poll task and embedded mode's loop both call `poll_queue_filter`.
Steps, each of which may end the poll:

1. the filter and its instance still exist and are enabled (else GONE);
2. the filter's poll lock (else BUSY: another poll of it is running or waiting);
3. its backoff after earlier failures (else RESTING);
4. a token from the rate governor for the instance's account and Region. When
   the token is not due yet the poll is DEFERRED: it keeps its lock and its
   token, and the caller runs it again at its turn with `resume_token`. Over
   quota a poll is never sent early, and as each filter holds at most one
   token, an oversubscribed account serves its filters in turn;
5. the fetch: every page of GetCurrentMetricData;
6. the snapshot built, stored, and its update published to every screen.

A failed fetch records the outcome on the instance and the filter in words,
rests the filter (see connectmetrics.backoff) and publishes an update with
status "stale" (the last good numbers) or "error" (none yet) and the reason.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec
from django.conf import settings
from django.utils import timezone

from connectmetrics import poll_levels, rules, screens, socket_messages, telemetry
from connectmetrics.api.cache import remember_poll
from connectmetrics.backoff import backoff_state, fingerprint
from connectmetrics.client import FetchResult, fetch_current_metrics
from connectmetrics.governor import Governor, governor, prepaid_call
from connectmetrics.locks import kept_alive, poll_lock
from connectmetrics.message_builder import (
    Body,
    Named,
    Names,
    ThresholdRule,
    Trends,
    build_rows,
    failed_body,
    ok_body,
    snapshot,
    trend_bucket,
    trend_points,
    update,
)
from connectmetrics.models import ConnectInstance, Queue, QueueFilter, RoutingProfile
from connectmetrics.outcomes import DESCRIPTIONS, Outcome, UpstreamError
from connectmetrics.readings import ReadingsStore, readings_store

log = logging.getLogger(__name__)

Publisher = Callable[[int, str], None]

# Outcomes a supervisor cannot wait out: someone has to change a setting.
NEEDS_ADMIN = {Outcome.NOT_FOUND, Outcome.ACCESS_DENIED, Outcome.INVALID_REQUEST}


class Step(StrEnum):
    OK = "ok"
    FAILED = "failed"
    DEFERRED = "deferred"
    BUSY = "busy"
    RESTING = "resting"
    GONE = "gone"


@dataclass(frozen=True)
class PollResult:
    queue_filter_id: int
    step: Step
    seq: int | None = None
    update_text: str | None = None
    calls: int = 0
    # DEFERRED: run the poll again in `turn_in` seconds with this `resume_token`
    # and `turn_due_at` (epoch seconds: when its turn of the quota comes), and no
    # later than `resume_by` seconds from now (when its lock lapses).
    turn_in: float | None = None
    resume_token: str | None = None
    resume_by: float | None = None
    turn_due_at: float | None = None


def lock_ttl(interval: int) -> float:
    """Short enough that a killed worker's lock is gone by the next slot (a running poll
    keeps extending its lock: connectmetrics.locks.kept_alive)."""
    return interval - min(1.0, interval / 4)


def poll_queue_filter(
    queue_filter_id: int,
    *,
    publish: Publisher | None = None,
    resume_token: str | None = None,
    turn_due_at: float | None = None,
) -> PollResult:
    """Poll one queue filter once.

    The update goes to every open screen of the queue filter through `publish`
    (default: the screen publisher the wallboards app plugged in, connectmetrics/screens.py).
    `resume_token` resumes a DEFERRED
    poll at its turn (due at `turn_due_at`; default now): its lock and quota
    token are already held.
    """
    queue_filter = QueueFilter.objects.select_related("instance").filter(pk=queue_filter_id).first()
    lock = poll_lock()
    if queue_filter is None or not queue_filter.enabled or not queue_filter.instance.enabled:
        if resume_token is not None:
            lock.release(queue_filter_id, resume_token)
        log.info("poll skipped: queue filter %s is gone or disabled", queue_filter_id)
        return PollResult(queue_filter_id, Step.GONE)
    instance = queue_filter.instance
    where = f"instance={instance.name!r} filter={queue_filter.name!r}"
    ttl = lock_ttl(instance.poll_interval)
    token = resume_token
    if token is None or not lock.extend(queue_filter_id, token, ttl):
        # A resumed poll whose lock lapsed (a long stall) may still go if no other took over.
        token = lock.acquire(queue_filter_id, ttl)
    if token is None:
        log.info("poll skipped: another poll is running or waiting for its turn %s", where)
        return PollResult(queue_filter_id, Step.BUSY)
    keep_lock = False
    try:
        request = queue_filter.to_request()
        depends_on = fingerprint(instance.connection_identity(), request)
        gov = governor()
        if turn_due_at is None:
            turn_due_at = time.time()
        if resume_token is None:
            rest = backoff_state().get(queue_filter_id)
            resting = rest.remaining(time.time(), depends_on) if rest is not None else 0.0
            if rest is not None and resting > 0:
                log.info(
                    "poll skipped: resting %.0f s more after %s %s", resting, rest.outcome, where
                )
                return PollResult(queue_filter_id, Step.RESTING)
            turn_in = gov.reserve(instance.quota_key)
            turn_due_at = time.time() + turn_in
            if turn_in > 0:
                keep_lock = lock.extend(queue_filter_id, token, turn_in + ttl)
                _log_deferral(instance, turn_in, where)
                return PollResult(
                    queue_filter_id,
                    Step.DEFERRED,
                    turn_in=turn_in,
                    resume_token=token,
                    resume_by=turn_in + ttl,
                    turn_due_at=turn_due_at,
                )
        # Numbered as the fetch starts: should this poll outlive its lock and finish
        # after a newer one, its older numbers are dropped rather than shown.
        poll = _Poll(queue_filter, readings_store(), publish or screens.publisher().publish, where)
        poll.seq = poll.store.next_seq(queue_filter_id)
        started = time.monotonic()
        try:
            with kept_alive(lock, queue_filter_id, token, ttl):
                fetched = _fetch(queue_filter, request, gov, turn_due_at)
        except UpstreamError as error:
            return _failed(poll, error, depends_on)
        result = _succeeded(poll, request, fetched)
        log.info(
            "poll ok %s rows=%d calls=%d seq=%s in %.0f ms",
            where,
            len(fetched.rows),
            fetched.calls,
            result.seq,
            (time.monotonic() - started) * 1000,
        )
        return result
    finally:
        if not keep_lock:
            lock.release(queue_filter_id, token)


def _log_deferral(instance: ConnectInstance, turn_in: float, where: str) -> None:
    if turn_in > instance.poll_interval:
        # More polls than the quota allows: every filter of the account gets its
        # turn, but less often than its interval. The admin can lengthen intervals.
        log.warning(
            "poll deferred %.1f s, longer than its %d s interval: the quota of %s is "
            "oversubscribed %s",
            turn_in,
            instance.poll_interval,
            instance.quota_key,
            where,
        )
    else:
        log.info(
            "poll deferred %.2f s for its turn of the quota of %s %s",
            turn_in,
            instance.quota_key,
            where,
        )


@dataclass
class _Poll:
    """One poll past the governor: it will publish an update, good or bad."""

    queue_filter: QueueFilter
    store: ReadingsStore
    publish: Publisher
    where: str
    seq: int = 0

    def outdated(self) -> bool:
        if self.store.kept_seq(self.queue_filter.pk) < self.seq:
            return False
        log.info("poll result dropped: a newer poll already published %s", self.where)
        return True


def _fetch(
    queue_filter: QueueFilter, request: dict[str, Any], gov: Governor, turn_due_at: float
) -> FetchResult:
    instance = queue_filter.instance
    violations = rules.check_request({**request, "InstanceId": instance.instance_id})
    if violations:
        # Refused here, before spending quota on a call AWS would refuse.
        raise UpstreamError(
            Outcome.INVALID_REQUEST,
            violations[0].error,
            "; ".join(f"{v.field}: {v.message}" if v.field else v.message for v in violations),
        )
    expected = list(queue_filter.queues.values_list("queue_id", flat=True))
    with (
        prepaid_call(gov, instance.quota_key, turn_due_at),
        telemetry.within_poll(queue_filter.pk),
    ):
        return fetch_current_metrics(instance, request, expected_queue_ids=expected)


def _names(instance: ConnectInstance) -> Names:
    queues = Queue.objects.filter(instance=instance).values_list("queue_id", "name", "arn")
    profiles = RoutingProfile.objects.filter(instance=instance).values_list(
        "routing_profile_id", "name", "arn"
    )
    return Names(
        queues={i: Named(name, arn) for i, name, arn in queues},
        routing_profiles={i: Named(name, arn) for i, name, arn in profiles},
    )


def _thresholds(queue_filter: QueueFilter) -> list[ThresholdRule]:
    return [
        ThresholdRule(t.metric, t.band, t.queue.queue_id if t.queue is not None else None)
        for t in queue_filter.thresholds.select_related("queue")
    ]


def _succeeded(poll: _Poll, request: dict[str, Any], fetched: FetchResult) -> PollResult:
    queue_filter, store = poll.queue_filter, poll.store
    instance = queue_filter.instance
    fetched_at = timezone.now()
    telemetry.count_poll(instance.pk, queue_filter.pk, failure=None)
    # Other tools asking the metrics endpoint for the same numbers get them from here.
    remember_poll(instance, rules.canonical_request(request), fetched, fetched_at)
    backoff_state().clear(queue_filter.pk)
    ConnectInstance.objects.filter(pk=instance.pk).update(last_success_at=fetched_at)
    QueueFilter.objects.filter(pk=queue_filter.pk).update(
        last_polled_at=fetched_at, last_success_at=fetched_at, last_error_message=""
    )
    if poll.outdated():
        return PollResult(queue_filter.pk, Step.OK, calls=fetched.calls)
    metrics = fetched.metrics or list(queue_filter.metrics)
    rows = build_rows(
        fetched.rows,
        queue_filter.groupings,
        metrics,
        _names(instance),
        _thresholds(queue_filter),
    )
    body = ok_body(
        rows=rows,
        metrics=metrics,
        groupings=queue_filter.groupings,
        data_snapshot_time=fetched.data_snapshot_time,
        fetched_at=fetched_at,
        poll_interval=instance.poll_interval,
    )
    # Alerts watch the same levels the screens show (connectmetrics/poll_levels.py).
    poll_levels.report(queue_filter.pk, msgspec.to_builtins(rows), fetched_at)
    bucket = trend_bucket(fetched.data_snapshot_time or fetched_at)
    trends = store.add_trend_points(queue_filter.pk, trend_points(rows, bucket))
    if trends is None:
        # Older than the history (a worker whose clock lags): no new points.
        text = _store_and_publish(poll, body, store.trends(queue_filter.pk), None, good=True)
    else:
        text = _store_and_publish(poll, body, trends, bucket, good=True)
    return PollResult(queue_filter.pk, Step.OK, poll.seq, text, calls=fetched.calls)


def supervisor_reason(outcome: Outcome, last_good: Body | None) -> str:
    """What the screens say about a failed poll, e.g. "Amazon Connect is throttling
    requests; showing the numbers from 14:03:22"."""
    reason = DESCRIPTIONS[outcome]
    if outcome in NEEDS_ADMIN:
        reason += "; an administrator needs to check the Connect settings"
    shown = last_good and (last_good.data_snapshot_time or last_good.fetched_at)
    if shown:
        local = timezone.localtime(datetime.fromisoformat(shown))
        reason += f"; showing the numbers from {local:%H:%M:%S}"
    return reason


def _failed(poll: _Poll, error: UpstreamError, depends_on: str) -> PollResult:
    queue_filter, store = poll.queue_filter, poll.store
    instance = queue_filter.instance
    now = timezone.now()
    telemetry.count_poll(instance.pk, queue_filter.pk, failure=error.outcome)
    rest = backoff_state().record_failure(
        queue_filter.pk, error.outcome, instance.poll_interval, depends_on
    )
    ConnectInstance.objects.filter(pk=instance.pk).update(
        last_error_at=now,
        last_error_class=error.error_class[:100],
        last_error_message=error.description,
    )
    QueueFilter.objects.filter(pk=queue_filter.pk).update(
        last_polled_at=now, last_error_message=error.description
    )
    log.warning(
        "poll failed %s outcome=%s error=%s next poll in %.0f s: %s",
        poll.where,
        error.outcome.value,
        error.error_class,
        max(0.0, rest.until - time.time()),
        error.description,
    )
    if poll.outdated():
        return PollResult(queue_filter.pk, Step.FAILED)
    last_good = store.last_good(queue_filter.pk)
    body = failed_body(
        last_good,
        reason=supervisor_reason(error.outcome, last_good),
        metrics=queue_filter.metrics,
        groupings=queue_filter.groupings,
        poll_interval=instance.poll_interval,
    )
    text = _store_and_publish(poll, body, store.trends(queue_filter.pk), None, good=False)
    return PollResult(queue_filter.pk, Step.FAILED, poll.seq, text)


def _store_and_publish(
    poll: _Poll, body: Body, trends: Trends, bucket: int | None, *, good: bool
) -> str | None:
    """Encode once, keep the snapshot, push the update (what changed since the snapshot
    kept before); the update's text, or None when a newer poll's snapshot is already
    kept (then nothing is pushed)."""
    queue_filter_id = poll.queue_filter.pk
    published_at = timezone.now()
    base = socket_messages.decode_snapshot(poll.store.latest_text(queue_filter_id))
    snapshot_text = socket_messages.encode(
        snapshot(
            queue_filter_id=queue_filter_id,
            seq=poll.seq,
            body=body,
            published_at=published_at,
            build=settings.BUILD_ID,
            trends=trends,
        )
    )
    update_text = socket_messages.encode(
        update(
            base,
            seq=poll.seq,
            body=body,
            published_at=published_at,
            build=settings.BUILD_ID,
            bucket=bucket,
        )
    )
    kept = poll.store.save(
        queue_filter_id, seq=poll.seq, snapshot_text=snapshot_text, good=body if good else None
    )
    if not kept:
        return None
    poll.publish(queue_filter_id, update_text)
    return update_text
