"""THE poll: one source of any kind, from "it is due" to "a snapshot is stored and published".

Celery's poll task and embedded mode's loop both call `poll_source`. What differs
between kinds of source (the request, its rules, the fetch, the rows, the messages)
the source's kind supplies (connectmetrics/sources/kind.py); the rest is here, once.
Steps, each of which may end the poll:

1. the source and its instance still exist and are enabled (else GONE);
2. the source's poll lock (else BUSY: another poll of it is running or waiting);
3. its backoff after earlier failures (else RESTING);
4. for a scheduled poll, the call of the slot it is in (else SLOT_TAKEN): the account
   must never see two calls for a source in one interval, so a scheduled poll claims
   the slot of the moment it is about to call. One that reached its call after its own
   slot ended (a cold or overloaded worker) makes the next slot's call, and that slot's
   own poll then makes none: a slow worker polls each source as often as it can,
   never twice in a slot, and never leaves one out for good;
5. a token from the rate governor for the instance's account and Region and the
   kind's API. When the token is not due yet the poll is DEFERRED: it keeps its
   lock and its token, and the caller runs it again at its turn with
   `resume_token`. Over quota a poll is never sent early, and as each source
   holds at most one token, an oversubscribed account serves its sources in turn;
6. the request checked by the kind's rules, then the fetch: every page;
7. the reading built, stored, and its update published to every screen.

A failed fetch records the outcome on the instance and the source in words,
rests the source (see connectmetrics.poller.backoff) and publishes an update with
status "stale" (the last good numbers) or "error" (none yet) and the reason.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import timezone

from connectmetrics.client import telemetry
from connectmetrics.client.client import client_for
from connectmetrics.client.governor import Governor, governor, prepaid_call
from connectmetrics.client.outcomes import DESCRIPTIONS, Outcome, UpstreamError
from connectmetrics.models import ConnectInstance
from connectmetrics.poller import screens
from connectmetrics.poller.backoff import backoff_state, fingerprint
from connectmetrics.poller.locks import kept_alive, poll_lock
from connectmetrics.poller.readings import ReadingsStore, readings_store
from connectmetrics.poller.schedule import call_claims, slot_of
from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.kind import Body, Fetched, Instance, Source, SourceKind, Trends
from connectmetrics.sources.registry import kind_of
from dashboard.lib import clock

log = logging.getLogger(__name__)

# Where a poll's update goes: the source and the update's text.
Publisher = Callable[[SourceKey, str], None]

# Outcomes a supervisor cannot wait out: someone has to change a setting.
NEEDS_ADMIN = {Outcome.NOT_FOUND, Outcome.ACCESS_DENIED, Outcome.INVALID_REQUEST}


class Step(StrEnum):
    OK = "ok"
    FAILED = "failed"
    DEFERRED = "deferred"
    BUSY = "busy"
    RESTING = "resting"
    SLOT_TAKEN = "slot taken"
    GONE = "gone"


@dataclass(frozen=True)
class PollResult:
    source: SourceKey
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
    keeps extending its lock: connectmetrics.poller.locks.kept_alive)."""
    return interval - min(1.0, interval / 4)


def to_screens(source: SourceKey, text: str) -> None:
    """The default publisher: to the screens of the source's panels, for every kind
    (connectmetrics/poller/screens.py)."""
    screens.publisher().publish(source, text)


def poll_source(
    source_key: SourceKey,
    *,
    publish: Publisher | None = None,
    resume_token: str | None = None,
    turn_due_at: float | None = None,
    interval: int | None = None,
) -> PollResult:
    """Poll one source once.

    The update goes to every open screen of the source through `publish`
    (default: `to_screens`). `resume_token` resumes a DEFERRED
    poll at its turn (due at `turn_due_at`; default now): its lock and quota
    token are already held. `interval` is a scheduled poll's (the dispatcher's slots):
    it makes its slot's call unless another poll of the source made it (SLOT_TAKEN).
    """
    kind = kind_of(source_key)
    source = kind.load(source_key.id)
    lock = poll_lock()
    if source is None or not source.enabled:
        if resume_token is not None:
            lock.release(source_key, resume_token)
        log.info("poll skipped: %s is gone or disabled", source_key)
        return PollResult(source_key, Step.GONE)
    instance = source.instance
    where = f"instance={instance.name!r} {kind.name}={source.name!r}"
    ttl = lock_ttl(instance.poll_interval)
    token = resume_token
    if token is None or not lock.extend(source_key, token, ttl):
        # A resumed poll whose lock lapsed (a long stall) may still go if no other took over.
        token = lock.acquire(source_key, ttl)
    if token is None:
        log.info("poll skipped: another poll is running or waiting for its turn %s", where)
        return PollResult(source_key, Step.BUSY)
    keep_lock = False
    try:
        request = source.request()
        depends_on = fingerprint(instance.connection_identity(), request)
        gov = governor()
        if turn_due_at is None:
            turn_due_at = time.time()
        if resume_token is None:
            rest = backoff_state().get(source_key)
            resting = rest.remaining(time.time(), depends_on) if rest is not None else 0.0
            if rest is not None and resting > 0:
                log.info(
                    "poll skipped: resting %.0f s more after %s %s", resting, rest.outcome, where
                )
                return PollResult(source_key, Step.RESTING)
            if interval is not None and _slot_taken(instance, source_key, interval, where):
                return PollResult(source_key, Step.SLOT_TAKEN)
            turn_in = gov.reserve(instance.quota_key, kind.api)
            turn_due_at = time.time() + turn_in
            if turn_in > 0:
                keep_lock = lock.extend(source_key, token, turn_in + ttl)
                _log_deferral(
                    instance.poll_interval, f"{instance.quota_key} {kind.api}", turn_in, where
                )
                return PollResult(
                    source_key,
                    Step.DEFERRED,
                    turn_in=turn_in,
                    resume_token=token,
                    resume_by=turn_in + ttl,
                    turn_due_at=turn_due_at,
                )
        # Numbered as the fetch starts: should this poll outlive its lock and finish
        # after a newer one, its older numbers are dropped rather than shown.
        poll = _Poll(source, kind, readings_store(), publish or to_screens, where)
        poll.seq = poll.store.next_seq(source_key)
        started = time.monotonic()
        try:
            with kept_alive(lock, source_key, token, ttl):
                fetched = _fetch(poll, request, gov, turn_due_at)
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
            lock.release(source_key, token)


def _slot_taken(instance: Instance, source_key: SourceKey, interval: int, where: str) -> bool:
    """Claim the call of the slot this moment is in; True when it was made already."""
    try:
        # Connected first (a cold worker's first client takes a while), so the slot is
        # the one the call goes out in. A client that cannot be made is the fetch's to
        # report, as a failed poll.
        if isinstance(instance, ConnectInstance):
            client_for(instance)
    except UpstreamError:
        pass
    claims = call_claims()
    slot = slot_of(source_key.id, interval, claims.now())
    (won,) = claims.claim([(source_key, interval, slot)])
    if not won:
        log.info("poll skipped: this slot of its %d s interval had its call %s", interval, where)
    return not won


def _log_deferral(interval: int, quota: str, turn_in: float, where: str) -> None:
    if turn_in > interval:
        # More polls than the quota allows: every source of the account gets its
        # turn, but less often than its interval. The admin can lengthen intervals.
        log.warning(
            "poll deferred %.1f s, longer than its %d s interval: the quota of %s is "
            "oversubscribed %s",
            turn_in,
            interval,
            quota,
            where,
        )
    else:
        log.info("poll deferred %.2f s for its turn of the quota of %s %s", turn_in, quota, where)


@dataclass
class _Poll:
    """One poll past the governor: it will publish an update, good or bad."""

    source: Source
    kind: SourceKind
    store: ReadingsStore
    publish: Publisher
    where: str
    seq: int = 0

    def outdated(self) -> bool:
        if self.store.kept_seq(self.source.key) < self.seq:
            return False
        log.info("poll result dropped: a newer poll already published %s", self.where)
        return True


def _fetch(poll: _Poll, request: dict[str, Any], gov: Governor, turn_due_at: float) -> Fetched:
    # Refused here, before spending quota on a call AWS would refuse.
    poll.source.check(request)
    with (
        prepaid_call(gov, poll.source.instance.quota_key, poll.kind.api, turn_due_at),
        telemetry.within_poll(poll.source.key),
    ):
        return poll.source.fetch(request)


def _succeeded(poll: _Poll, request: dict[str, Any], fetched: Fetched) -> PollResult:
    source, store = poll.source, poll.store
    key = source.key
    fetched_at = timezone.now()
    telemetry.count_poll(source.instance.pk, key, failure=None)
    source.learn(request, fetched, fetched_at)
    backoff_state().clear(key)
    ConnectInstance.objects.filter(pk=source.instance.pk).update(last_success_at=fetched_at)
    source.record(fetched_at)
    if poll.outdated():
        return PollResult(key, Step.OK, calls=fetched.calls)
    # The data's own time (the product's clock: dashboard/lib/clock.py) stamps the reading
    # and its trend bucket; the records above keep real time.
    reading = source.reading(fetched, clock.moment())
    trends = store.add_trend_points(key, reading.trend_points)
    if trends is None:
        # Older than the history (a worker whose clock lags): no new points.
        text = _store_and_publish(poll, reading.body, store.trends(key), None, good=True)
    else:
        text = _store_and_publish(poll, reading.body, trends, reading.bucket, good=True)
    return PollResult(key, Step.OK, poll.seq, text, calls=fetched.calls)


def supervisor_reason(outcome: Outcome, last_good: Body | None) -> str:
    """What the screens say about a failed poll, e.g. "Amazon Connect is throttling
    requests; showing the numbers from 14:03:22"."""
    reason = DESCRIPTIONS[outcome]
    if outcome in NEEDS_ADMIN:
        reason += "; an administrator needs to check the Connect settings"
    shown = last_good.shown_at() if last_good is not None else None
    if shown:
        local = timezone.localtime(datetime.fromisoformat(shown))
        reason += f"; showing the numbers from {local:%H:%M:%S}"
    return reason


def _failed(poll: _Poll, error: UpstreamError, depends_on: str) -> PollResult:
    source, store = poll.source, poll.store
    key, instance = source.key, source.instance
    now = timezone.now()
    telemetry.count_poll(instance.pk, key, failure=error.outcome)
    rest = backoff_state().record_failure(key, error.outcome, instance.poll_interval, depends_on)
    ConnectInstance.objects.filter(pk=instance.pk).update(
        last_error_at=now,
        last_error_class=error.error_class[:100],
        last_error_message=error.description,
    )
    source.record(now, error=error.description)
    log.warning(
        "poll failed %s outcome=%s error=%s next poll in %.0f s: %s",
        poll.where,
        error.outcome.value,
        error.error_class,
        max(0.0, rest.until - time.time()),
        error.description,
    )
    if poll.outdated():
        return PollResult(key, Step.FAILED)
    kept = store.last_good(key)
    last_good = source.decode_body(kept) if kept is not None else None
    body = source.failed_body(last_good, supervisor_reason(error.outcome, last_good))
    text = _store_and_publish(poll, body, store.trends(key), None, good=False)
    return PollResult(key, Step.FAILED, poll.seq, text)


def _store_and_publish(
    poll: _Poll, body: Body, trends: Trends, bucket: int | None, *, good: bool
) -> str | None:
    """Encode once, keep the snapshot, push the update (what changed since the snapshot
    kept before); the update's text, or None when a newer poll's snapshot is already
    kept (then nothing is pushed)."""
    source, store = poll.source, poll.store
    key = source.key
    published_at = clock.moment()
    base_text = store.latest_text(key)
    snapshot_text = source.snapshot_text(
        seq=poll.seq, body=body, published_at=published_at, build=settings.BUILD_ID, trends=trends
    )
    update_text = source.update_text(
        base_text,
        seq=poll.seq,
        body=body,
        published_at=published_at,
        build=settings.BUILD_ID,
        bucket=bucket,
    )
    kept = store.save(
        key,
        seq=poll.seq,
        snapshot_text=snapshot_text,
        good=source.encode_body(body) if good else None,
    )
    if not kept:
        return None
    poll.publish(key, update_text)
    return update_text
