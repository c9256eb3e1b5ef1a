"""Sending one delivery, retrying with exponential backoff, and keeping destinations' health.

`attempt(delivery_id)` claims the delivery (a compare-and-set with a lease, so two copies
of its task, a sweep and a retry never send it twice at once), sends it and records the
outcome; it returns the seconds until the next try, or None when there is nothing more to
do. A worker killed while sending leaves the lease to lapse: the sweep sends it again.
"""

import json
import logging
import smtplib
import time
from datetime import timedelta

import urllib3
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from connectmetrics.alerts import messages
from connectmetrics.alerts.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Delivery,
    DeliveryStatus,
    Destination,
    DestinationKind,
)

log = logging.getLogger(__name__)

_http = urllib3.PoolManager()


class SendFailed(Exception):
    """Why a destination did not take a message, in words."""


def backoff_seconds(attempts: int) -> float:
    """After the n-th failed attempt: base, 2 x base, 4 x base ... at most the cap."""
    base: float = settings.ALERT_RETRY_BASE_SECONDS
    return float(min(settings.ALERT_RETRY_MAX_SECONDS, base * 2 ** (attempts - 1)))


def lease_seconds() -> float:
    return 2 * settings.ALERT_SEND_TIMEOUT + 10


def attempt(delivery_id: int) -> float | None:
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now + timedelta(seconds=1))
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        )
        .update(
            status=DeliveryStatus.SENDING,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related(
        "destination",
        "event__alert",
        "event__rule__threshold__queue_filter__instance",
    ).get(pk=delivery_id)
    destination = delivery.destination
    if delivery.event.alert is None or delivery.event.rule is None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            lease_until=None,
            last_error="Its alert rule was deleted before it was sent.",
        )
        return None
    try:
        send(destination, delivery.event)
    except SendFailed as failure:
        return _failed(delivery, str(failure))
    finished = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, sent_at=finished, lease_until=None, last_error=""
    )
    Destination.objects.filter(pk=destination.pk).update(
        consecutive_failures=0, failing_since=None, last_error="", last_success_at=finished
    )
    log.info("alert sent: %s to %r", delivery.event.kind, destination.name)
    return None


def _failed(delivery: Delivery, reason: str) -> float | None:
    now = timezone.now()
    Destination.objects.filter(pk=delivery.destination_id).update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce(F("failing_since"), now),
        last_error=reason,
    )
    if delivery.attempts >= settings.ALERT_SEND_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, lease_until=None, last_error=reason
        )
        log.warning(
            "alert not sent after %d attempts to %r: %s",
            delivery.attempts,
            delivery.destination.name,
            reason,
        )
        return None
    wait = backoff_seconds(delivery.attempts)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=wait),
        lease_until=None,
        last_error=reason,
    )
    log.warning(
        "alert to %r failed (attempt %d), next try in %.1f s: %s",
        delivery.destination.name,
        delivery.attempts,
        wait,
        reason,
    )
    return wait


def send(destination: Destination, event: AlertEvent) -> None:
    """Send one event to one destination; raises SendFailed saying why it did not go."""
    if destination.kind == DestinationKind.EMAIL:
        _email(destination, event)
        return
    if destination.kind == DestinationKind.SLACK:
        body, headers = _json(messages.slack_body(event))
    elif destination.kind == DestinationKind.TEAMS:
        body, headers = _json(messages.teams_body(event))
    else:
        body, headers = messages.signed_webhook(event, destination.signing_secret, time.time())
    _post(destination.url, body, headers)


def _json(message: object) -> tuple[bytes, dict[str, str]]:
    return json.dumps(message).encode(), {"Content-Type": "application/json"}


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    seconds = settings.ALERT_SEND_TIMEOUT
    host = urllib3.util.parse_url(url).host or url
    try:
        answer = _http.request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=seconds, read=seconds),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.ConnectTimeoutError:
        raise SendFailed(f"Could not connect to {host} within {seconds} s.") from None
    except urllib3.exceptions.ReadTimeoutError:
        raise SendFailed(f"{host} did not answer within {seconds} s.") from None
    except urllib3.exceptions.NewConnectionError as error:
        raise SendFailed(f"Could not connect to {host}: {_cause(error)}.") from None
    except urllib3.exceptions.HTTPError as error:
        raise SendFailed(f"Sending to {host} failed: {_cause(error)}.") from None
    if not 200 <= answer.status < 300:
        text = answer.data[:200].decode(errors="replace").strip()
        said = f": {text}" if text else ""
        raise SendFailed(f"{host} answered HTTP {answer.status}{said}.")


def _cause(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    return text.rpartition("] ")[2] if "] " in text else text


def _email(destination: Destination, event: AlertEvent) -> None:
    subject, text = messages.email_text(event)
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        destination.recipients,
        connection=get_connection(timeout=settings.ALERT_SEND_TIMEOUT),
    )
    try:
        message.send()
    except smtplib.SMTPException as error:
        raise SendFailed(f"The mail server refused the message: {error}.") from None
    except OSError as error:
        where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
        raise SendFailed(f"Could not reach the mail server {where}: {error}.") from None


def overdue() -> list[int]:
    """Deliveries whose task was lost (a worker killed, Redis away when it was enqueued):
    pending well past their time, or claimed by a sender whose lease lapsed."""
    now = timezone.now()
    grace = timedelta(seconds=settings.ALERT_SWEEP_GRACE_SECONDS)
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - grace)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
        ).values_list("pk", flat=True)[:500]
    )


def prune() -> int:
    """Drop history older than ALERT_HISTORY_DAYS (and alerts cleared before then)."""
    cutoff = timezone.now() - timedelta(days=settings.ALERT_HISTORY_DAYS)
    events, _ = AlertEvent.objects.filter(at__lt=cutoff).delete()
    Alert.objects.filter(status=AlertStatus.CLEARED, cleared_at__lt=cutoff).delete()
    return events
