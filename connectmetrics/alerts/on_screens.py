"""Open alerts on the screens: the `alerts` message of a queue filter, and when to send it.

A screen gets the whole list after its snapshot (dashboard/consumers.py) and again, whole,
whenever it changes: an evaluation that raised, cleared or changed an open alert's value or
level (`watching`), an acknowledgement (`acknowledge`), or an admin saving or deleting a rule
(`rule_changed`: a disabled rule's alerts leave the screens). The list is short (one entry per
rule and breaching row), so a screen that missed one is set right by the next, and a
socket's outbox keeps only the newest. Publishing goes through the port in screen_port.py;
a publisher that fails is logged and the evaluation or acknowledgement stands.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db import transaction

from connectmetrics.alerts import screen_port
from connectmetrics.alerts.models import Alert, AlertRule, AlertStatus
from connectmetrics.wire.message_builder import iso
from connectmetrics.wire.socket_messages import AlertsMessage, Level, OpenAlert, encode
from dashboard.lib import clock

log = logging.getLogger(__name__)


def open_alerts(queue_filter_id: int) -> list[OpenAlert]:
    """The queue filter's raised, uncleared alerts of enabled rules, oldest breach first."""
    alerts = (
        Alert.objects.filter(
            status=AlertStatus.OPEN,
            rule__enabled=True,
            rule__threshold__queue_filter_id=queue_filter_id,
        )
        .select_related("rule__threshold", "acknowledged_by")
        .order_by("breached_since", "pk")
    )
    return [_entry(alert) for alert in alerts]


def _entry(alert: Alert) -> OpenAlert:
    by = alert.acknowledged_by
    return OpenAlert(
        id=alert.pk,
        rule=alert.rule.name,
        row=alert.row_label,
        metric=alert.rule.threshold.metric,
        value=alert.value,
        level=cast(Level, alert.level),
        since=iso(alert.breached_since) or "",
        raised_at=iso(alert.raised_at) or "",
        acknowledged_by=by.get_username() if by is not None else None,
        acknowledged_at=iso(alert.acknowledged_at),
    )


def alerts_text(queue_filter_id: int, alerts: list[OpenAlert] | None = None) -> str:
    """The `alerts` message of the queue filter, as every socket forwards it."""
    return encode(
        AlertsMessage(
            queue_filter=queue_filter_id,
            published_at=iso(clock.moment()) or "",
            alerts=open_alerts(queue_filter_id) if alerts is None else alerts,
        )
    )


def publish(queue_filter_id: int, alerts: list[OpenAlert] | None = None) -> None:
    """Send the queue filter's open alerts to its screens."""
    try:
        screen_port.publisher().publish_alerts(
            queue_filter_id, alerts_text(queue_filter_id, alerts)
        )
    except Exception:
        log.exception("open alerts of queue filter %s not sent to its screens", queue_filter_id)


@contextmanager
def watching(queue_filter_id: int) -> Iterator[None]:
    """Publish the queue filter's open alerts after the block if it changed them."""
    before = open_alerts(queue_filter_id)
    yield
    after = open_alerts(queue_filter_id)
    if after != before:
        publish(queue_filter_id, after)


def acknowledge(alert: Alert, user: Any) -> bool:
    """Acknowledge the alert (Alert.acknowledge decides) and show who and when on the
    screens of its queue filter."""
    won = alert.acknowledge(user)
    if won:
        publish(alert.rule.threshold.queue_filter_id)
    return won


def rule_changed(sender: Any, instance: AlertRule, **kwargs: Any) -> None:
    """A rule saved or deleted (a post_save and post_delete receiver): once that commits, the
    screens of its queue filter get the list afresh."""
    queue_filter_id = instance.threshold.queue_filter_id
    transaction.on_commit(lambda: publish(queue_filter_id))
