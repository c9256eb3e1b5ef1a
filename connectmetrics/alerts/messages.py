"""What an alert says, in each destination's format, and the webhook's signature.

The generic webhook gets `payload(event)` as JSON, signed: `X-Wallboard-Timestamp` (Unix
seconds) and `X-Wallboard-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
destination's signing secret (docs/alerts.md shows a receiver that verifies it).
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from connectmetrics.alerts.models import Alert, AlertEvent, AlertRule, EventKind
from connectmetrics.connectapi.catalogue import METRICS, Grouping

SIGNATURE_HEADER = "X-Wallboard-Signature"
TIMESTAMP_HEADER = "X-Wallboard-Timestamp"
EVENT_HEADER = "X-Wallboard-Event"

_VERB: dict[str, str] = {
    EventKind.RAISED: "Alert",
    EventKind.REPEATED: "Still breached",
    EventKind.CLEARED: "Cleared",
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _named(dimension: Any) -> dict[str, str] | None:
    if not isinstance(dimension, dict):
        return None
    return {"id": str(dimension.get("id", "")), "name": str(dimension.get("name", ""))}


def _of(event: AlertEvent) -> tuple[Alert, AlertRule]:
    """The event's alert and rule (a delivery whose rule was deleted is never sent)."""
    if event.alert is None or event.rule is None:
        raise ValueError(f"alert history entry {event.pk} has lost its rule")
    return event.alert, event.rule


def payload(event: AlertEvent) -> dict[str, Any]:
    alert, rule = _of(event)
    threshold = rule.threshold
    dimensions = alert.row_dimensions
    metric = METRICS.get(threshold.metric)
    return {
        "event_id": str(event.event_id),
        "kind": event.kind,
        "at": _iso(event.at),
        "rule": {"id": rule.pk, "name": rule.name},
        "instance": threshold.queue_filter.instance.name,
        "queue_filter": threshold.queue_filter.name,
        "row": {
            "key": alert.row_key,
            "label": alert.row_label,
            "queue": _named(dimensions.get(Grouping.QUEUE)),
            "routing_profile": _named(dimensions.get(Grouping.ROUTING_PROFILE)),
            "channel": dimensions.get(Grouping.CHANNEL),
        },
        "metric": {"name": threshold.metric, "label": metric.label if metric else ""},
        "value": event.value,
        "level": event.level,
        "threshold": {
            "warning": threshold.warning,
            "critical": threshold.critical,
            "direction": threshold.direction,
        },
        "since": _iso(alert.breached_since),
        "cleared_at": _iso(alert.cleared_at),
        "link": rule.link or None,
    }


def _value(value: float | None) -> str:
    if value is None:
        return "no value"
    return f"{value:g}"


def summary(event: AlertEvent) -> str:
    """One line: "Alert: Billing · Oldest contact: 212 (critical) since 14:03:22 UTC"."""
    alert, rule = _of(event)
    body = payload(event)
    since = alert.breached_since.astimezone(rule.zone())
    what = f"{body['row']['label']} · {body['metric']['label'] or body['metric']['name']}"
    if event.kind == EventKind.CLEARED:
        return f"{_VERB[event.kind]}: {what} is back (rule {rule.name})"
    return (
        f"{_VERB[event.kind]}: {what}: {_value(event.value)} ({event.level}) "
        f"since {since:%H:%M:%S %Z} (rule {rule.name})"
    )


def slack_body(event: AlertEvent) -> dict[str, Any]:
    """Slack incoming webhook: `text` for notifications, a section block with the link."""
    text = summary(event)
    link = _of(event)[1].link
    shown = f"{text}\n<{link}|Open the wallboard>" if link else text
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": shown}}],
    }


def teams_body(event: AlertEvent) -> dict[str, Any]:
    """Microsoft Teams incoming webhook (Workflows): one Adaptive Card."""
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": summary(event), "wrap": True}],
    }
    link = _of(event)[1].link
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the wallboard", "url": link}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def email_text(event: AlertEvent) -> tuple[str, str]:
    """Subject and plain-text body."""
    body = payload(event)
    lines = [
        summary(event),
        "",
        f"Contact centre: {body['instance']} / {body['queue_filter']}",
        f"Row: {body['row']['label']}",
        f"Metric: {body['metric']['label']} ({body['metric']['name']})",
        f"Value: {_value(event.value)}, level {event.level}",
        f"Since: {body['since']}",
    ]
    if body["link"]:
        lines.append(f"Wallboard: {body['link']}")
    return summary(event), "\n".join(lines) + "\n"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def signed_webhook(event: AlertEvent, secret: str, now: float) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload(event), separators=(",", ":")).encode()
    timestamp = str(int(now))
    return body, {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        EVENT_HEADER: str(event.event_id),
    }
