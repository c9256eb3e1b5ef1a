"""From a poll's levels to alerts: raise, repeat and clear, once each, decided in the database.

Per rule and row (the row key of the poll's message):

- a row at the rule's level starts a *pending* alert, dated from that poll;
- still there `raise_after` seconds later: the alert is *raised*;
- while it lasts, unacknowledged, it is *repeated* every `repeat_every` seconds (if set);
- back under the level for `clear_after` seconds without a breach in between: *cleared*.
  A single breaching poll meanwhile starts the wait again, so a value hovering at the line
  raises once and clears once.

A row missing from a poll counts as back under the level (a value nobody could calculate
breaches nothing, as on the screens); a failed poll changes nothing. Quiet hours hold raises
and repeats: a raise held is sent when they end if the alert is still open; a clear is sent
whenever the raise was. Every change is a compare-and-set update, so of two evaluators that
read the same state (two workers, a slow poll overtaken by the next) exactly one wins.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from connectmetrics.alerts import on_screens
from connectmetrics.alerts.courier import courier
from connectmetrics.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Delivery,
    EventKind,
)
from connectmetrics.connectapi.catalogue import Grouping
from connectmetrics.models import Threshold

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """One row's cell for a rule's metric in one poll."""

    key: str
    label: str
    dimensions: Mapping[str, Any]
    value: float | None
    level: str | None


def on_levels_computed(
    sender: Any,
    *,
    queue_filter_id: int,
    rows: Sequence[Mapping[str, Any]],
    at: datetime,
    **kwargs: Any,
) -> None:
    courier()  # in embedded mode its sweep starts with the first poll, after a restart too
    with on_screens.watching(queue_filter_id):
        evaluate(queue_filter_id, rows, at)


def evaluate(queue_filter_id: int, rows: Sequence[Mapping[str, Any]], at: datetime) -> int:
    """Step every rule on the queue filter's thresholds through one poll's rows; how many
    history entries it wrote. The deliveries it wrote go to the courier after commit."""
    rules = list(
        AlertRule.objects.filter(enabled=True, threshold__queue_filter_id=queue_filter_id)
        .select_related("threshold__queue")
        .prefetch_related("destinations")
    )
    if not rules:
        return 0
    own_queue = set(
        Threshold.objects.filter(queue_filter_id=queue_filter_id, queue__isnull=False).values_list(
            "metric", "queue__queue_id"
        )
    )
    live = {
        (a.rule_id, a.row_key): a
        for a in Alert.objects.filter(rule__in=rules).exclude(status=AlertStatus.CLEARED)
    }
    written: list[AlertEvent] = []
    for rule in rules:
        seen = set()
        for row in rows:
            if not _in_force(rule.threshold, row, own_queue):
                continue
            metric = rule.threshold.metric
            reading = Reading(
                key=str(row["key"]),
                label=str(row.get("label") or row["key"]),
                dimensions=row.get("dimensions") or {},
                value=row["values"].get(metric),
                level=row["levels"].get(metric),
            )
            seen.add(reading.key)
            written += _step(rule, live.get((rule.pk, reading.key)), reading, at)
        for (rule_id, key), alert in live.items():
            if rule_id == rule.pk and key not in seen:
                gone = Reading(key, alert.row_label, alert.row_dimensions, None, None)
                written += _step(rule, alert, gone, at)
    return len(written)


def _queue_id(row: Mapping[str, Any]) -> str | None:
    queue = (row.get("dimensions") or {}).get(Grouping.QUEUE)
    return queue.get("id") if isinstance(queue, dict) else None


def _in_force(
    threshold: Threshold, row: Mapping[str, Any], own_queue: set[tuple[str, str]]
) -> bool:
    """Whether this threshold decides the row's level: the screens' rule (a threshold for
    the row's own queue replaces the every-row ones on that metric)."""
    queue_id = _queue_id(row)
    if threshold.queue is not None:
        return threshold.queue.queue_id == queue_id
    return (threshold.metric, queue_id) not in own_queue


def _step(rule: AlertRule, alert: Alert | None, reading: Reading, at: datetime) -> list[AlertEvent]:
    breached = rule.breached(reading.level)
    if alert is None:
        if not breached:
            return []
        alert = _start(rule, reading, at)
        if alert is None:
            return []
    if alert.status == AlertStatus.PENDING:
        if not breached:
            Alert.objects.filter(pk=alert.pk, status=AlertStatus.PENDING).delete()
            return []
        if (at - alert.breached_since).total_seconds() >= rule.raise_after:
            return _raise(rule, alert, reading, at)
        return []
    if breached:
        return _still_breached(rule, alert, reading, at)
    return _recovering(rule, alert, at)


def _start(rule: AlertRule, reading: Reading, at: datetime) -> Alert | None:
    try:
        with transaction.atomic():
            return Alert.objects.create(
                rule=rule,
                row_key=reading.key,
                row_label=reading.label,
                row_dimensions=dict(reading.dimensions),
                status=AlertStatus.PENDING,
                level=reading.level or "",
                value=reading.value,
                breached_since=at,
            )
    except IntegrityError:
        # Another evaluator started it first: the next poll carries on from theirs.
        return None


def _raise(rule: AlertRule, alert: Alert, reading: Reading, at: datetime) -> list[AlertEvent]:
    quiet = rule.quiet_at(at)
    with transaction.atomic():
        won = Alert.objects.filter(pk=alert.pk, status=AlertStatus.PENDING).update(
            status=AlertStatus.OPEN,
            raised_at=at,
            level=reading.level or "",
            value=reading.value,
            raise_sent=not quiet,
            last_sent_at=None if quiet else at,
        )
        if not won:
            return []
        alert.refresh_from_db()
        event = _record(rule, alert, EventKind.RAISED, at, held=quiet)
    log.info("alert raised: rule=%r row=%r level=%s", rule.name, alert.row_label, alert.level)
    return [event]


def _still_breached(
    rule: AlertRule, alert: Alert, reading: Reading, at: datetime
) -> list[AlertEvent]:
    level = reading.level or ""
    if (alert.level, alert.value, alert.recovered_since) != (level, reading.value, None):
        Alert.objects.filter(pk=alert.pk).update(
            level=level, value=reading.value, recovered_since=None
        )
    if alert.acknowledged_at is not None or rule.quiet_at(at):
        return []
    if not alert.raise_sent:
        # Raised in quiet hours and still open now they are over: send the raise.
        with transaction.atomic():
            won = Alert.objects.filter(pk=alert.pk, raise_sent=False).update(
                raise_sent=True, last_sent_at=at
            )
            raised = alert.events.filter(kind=EventKind.RAISED).first()
            if not won or raised is None:
                return []
            AlertEvent.objects.filter(pk=raised.pk).update(held=False)
            _outbox(rule, raised)
        return [raised]
    due = alert.last_sent_at is not None and rule.repeat_every is not None
    if not due or (at - alert.last_sent_at).total_seconds() < rule.repeat_every:  # type: ignore[operator]
        return []
    with transaction.atomic():
        won = Alert.objects.filter(
            pk=alert.pk, status=AlertStatus.OPEN, last_sent_at=alert.last_sent_at
        ).update(last_sent_at=at)
        if not won:
            return []
        alert.refresh_from_db()
        return [_record(rule, alert, EventKind.REPEATED, at)]


def _recovering(rule: AlertRule, alert: Alert, at: datetime) -> list[AlertEvent]:
    if alert.recovered_since is None:
        Alert.objects.filter(pk=alert.pk, recovered_since__isnull=True).update(recovered_since=at)
        if rule.clear_after > 0:
            return []
        alert.recovered_since = at
    if (at - alert.recovered_since).total_seconds() < rule.clear_after:
        return []
    with transaction.atomic():
        won = Alert.objects.filter(
            pk=alert.pk, status=AlertStatus.OPEN, recovered_since=alert.recovered_since
        ).update(status=AlertStatus.CLEARED, cleared_at=at)
        if not won:
            return []
        alert.refresh_from_db()
        event = _record(rule, alert, EventKind.CLEARED, at, held=not alert.raise_sent)
    log.info("alert cleared: rule=%r row=%r", rule.name, alert.row_label)
    return [event]


def _record(
    rule: AlertRule, alert: Alert, kind: EventKind, at: datetime, *, held: bool = False
) -> AlertEvent:
    """The history entry and, unless held, its deliveries: in the caller's transaction."""
    event = AlertEvent.objects.create(
        alert=alert,
        rule=rule,
        rule_name=rule.name,
        row_label=alert.row_label,
        kind=kind,
        at=at,
        level=alert.level,
        value=alert.value,
        held=held,
    )
    if not held:
        _outbox(rule, event)
    return event


def _outbox(rule: AlertRule, event: AlertEvent) -> None:
    destinations = [d for d in rule.destinations.all() if d.enabled]
    deliveries = Delivery.objects.bulk_create(
        [Delivery(event=event, destination=d) for d in destinations]
    )
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: courier().send(ids))
