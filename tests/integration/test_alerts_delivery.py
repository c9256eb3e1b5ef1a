"""Alerts reach real receivers on loopback: a webhook (signed, checked by the receiver
docs/alerts.md shows), Slack, Teams, an SMTP server; failures are retried with backoff and
marked on the destination, and never slow a poll. Embedded mode's courier sends them."""

import email
import email.policy
import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from connectmetrics.alerts.evaluator import evaluate
from connectmetrics.alerts.models import (
    AlertEvent,
    Delivery,
    DeliveryStatus,
    Destination,
    EventKind,
)
from connectmetrics.models import Threshold
from connectmetrics.poller.polling import Step, poll_source
from tests.alerts_support import Mails, Receiver, centre, feed, rule_on
from tests.simulated_centre import demo_filter, simulated_instance

pytest_plugins = ["tests.polling_support", "tests.alerts_support"]
pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"
NOW = datetime.now(UTC)


def docs_receiver() -> Any:
    """The verification example of docs/alerts.md, as a receiver would copy it."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert code is not None, "docs/alerts.md has no Python example"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace["verify"]


def raise_and_clear(destination: Destination, **options: Any) -> None:
    queue_filter, billing, _ = centre()
    rule_on(
        queue_filter,
        destinations=(destination,),
        raise_after=0,
        clear_after=0,
        link="http://wallboard.example/wallboards/demo/",
        **options,
    )
    feed(evaluate, queue_filter, NOW, [200, 210, 220, 10, 10, 10], billing)


def settle(seconds: float = 1.0) -> None:
    """Long enough for a second copy of a message to arrive, were there one."""
    time.sleep(seconds)


def test_a_webhook_gets_one_signed_message_per_raise_and_clear(receiver: Receiver) -> None:
    hook = Destination.objects.create(name="Hook", kind="webhook", url=receiver.url)
    raise_and_clear(hook)
    receiver.wait_for(2)
    settle()
    # Two deliveries, sent side by side (docs/alerts.md): either may arrive first.
    by_kind = {r.json()["kind"]: r for r in receiver.received}
    assert len(receiver.received) == 2 and sorted(by_kind) == ["cleared", "raised"]
    raised = by_kind["raised"].json()
    assert raised["row"]["label"] == "Billing" and raised["row"]["queue"]["name"] == "Billing"
    assert raised["metric"] == {"name": "OLDEST_CONTACT_AGE", "label": raised["metric"]["label"]}
    assert (raised["value"], raised["level"]) == (200, "critical")
    assert raised["link"] == "http://wallboard.example/wallboards/demo/"
    assert datetime.fromisoformat(raised["since"]) == NOW.replace(microsecond=NOW.microsecond)
    verify = docs_receiver()
    secret = Destination.objects.get().signing_secret
    for request in receiver.received:
        assert verify(secret, request.headers, request.body)
        assert request.headers["X-Wallboard-Event"] == request.json()["event_id"]
    first = by_kind["raised"]
    assert not verify(secret, first.headers, first.body.replace(b"200", b"201"))
    assert not verify("another secret", first.headers, first.body)
    stale = {**first.headers, "X-Wallboard-Timestamp": str(int(time.time()) - 3600)}
    assert not verify(secret, stale, first.body)


def test_the_signing_secret_is_not_in_the_database_in_clear(receiver: Receiver) -> None:
    from django.db import connection

    hook = Destination.objects.create(name="Hook", kind="slack", url=receiver.url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, signing_secret FROM alerts_destination")
        url, secret = cursor.fetchone()
    assert receiver.url not in url and hook.signing_secret not in secret


def test_slack_and_teams_get_their_own_formats(receiver: Receiver) -> None:
    slack = Destination.objects.create(name="Slack", kind="slack", url=receiver.url + "/slack")
    teams = Destination.objects.create(name="Teams", kind="teams", url=receiver.url + "/teams")
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, destinations=(slack, teams), raise_after=0, link="http://wb.example/")
    feed(evaluate, queue_filter, NOW, [200], billing)
    receiver.wait_for(2)
    settle()
    by_path = {r.path: r.json() for r in receiver.received}
    assert len(receiver.received) == 2
    slack_message = by_path["/hook/slack"]
    assert slack_message["text"].startswith("Alert: Billing")
    assert "<http://wb.example/|Open the wallboard>" in slack_message["blocks"][0]["text"]["text"]
    card = by_path["/hook/teams"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"].startswith("Alert: Billing")
    assert card["content"]["actions"][0]["url"] == "http://wb.example/"


def test_e_mail_reaches_a_real_smtp_server_once_per_raise_and_clear(
    smtp_server: tuple[int, Mails], settings: SettingsWrapper
) -> None:
    port, mails = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    mail = Destination.objects.create(name="Duty", kind="email", email_to="duty@example.com")
    raise_and_clear(mail)
    deadline = time.monotonic() + 10
    while len(mails.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    settle()
    assert len(mails.messages) == 2
    # Two deliveries, sent side by side: either may arrive first.
    subjects = sorted(
        str(email.message_from_bytes(m.content, policy=email.policy.default)["Subject"]).strip()
        for m in mails.messages
    )
    assert subjects[0].startswith("Alert: Billing") and subjects[1].startswith("Cleared: Billing")
    assert all(m.rcpt_tos == ["duty@example.com"] for m in mails.messages)


def test_a_failing_destination_is_retried_with_backoff_and_marked_in_words(
    receiver: Receiver, settings: SettingsWrapper
) -> None:
    settings.ALERT_RETRY_BASE_SECONDS = 0.3
    settings.ALERT_SEND_ATTEMPTS = 4
    receiver.status = 500
    hook = Destination.objects.create(name="Hook", kind="webhook", url=receiver.url)
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, destinations=(hook,), raise_after=0, clear_after=0)
    feed(evaluate, queue_filter, NOW, [200], billing)
    received = receiver.wait_for(4, within=15)
    settle()
    assert len(receiver.received) == 4  # the attempts, then it gives up
    arrivals = [r.at for r in received]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.55 and gaps[2] >= 1.1  # 0.3, 0.6, 1.2 s
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 4)
    hook.refresh_from_db()
    assert hook.failing and hook.consecutive_failures == 4
    assert hook.last_error == "127.0.0.1 answered HTTP 500: server error."

    # It recovers: the next message goes through and the mark is gone.
    receiver.status = 200
    feed(evaluate, queue_filter, NOW + timedelta(minutes=5), [10] * 2, billing)
    receiver.wait_for(5)
    hook.refresh_from_db()
    assert not hook.failing and hook.last_error == "" and hook.last_success_at is not None


def test_a_destination_that_never_answers_does_not_slow_the_poll(
    receiver: Receiver, settings: SettingsWrapper, embedded_mode: None
) -> None:
    settings.ALERT_SEND_TIMEOUT = 3
    receiver.hang = threading.Event()
    hook = Destination.objects.create(name="Black hole", kind="webhook", url=receiver.url)
    queue_filter = demo_filter(simulated_instance())
    # Lower is worse, and no centre has 10,000 agents online: every row is critical.
    threshold = Threshold.objects.create(
        queue_filter=queue_filter,
        metric="AGENTS_ONLINE",
        warning=10_000,
        critical=9_999,
        direction="lower_is_worse",
    )
    rule = rule_on(queue_filter, destinations=(hook,), raise_after=0)
    rule.threshold = threshold
    rule.save()
    durations = []
    for _ in range(3):
        started = time.monotonic()
        result = poll_source(queue_filter.source_key, publish=lambda *_: None)
        durations.append(time.monotonic() - started)
        assert result.step is Step.OK
        time.sleep(0.1)
    raised = AlertEvent.objects.filter(kind=EventKind.RAISED).count()
    assert raised >= 2  # one per queue row
    assert receiver.wait_for(1), "the courier never tried to send"
    # Each raise waits up to 2 x 3 s for the black hole; the polls did not.
    assert max(durations) < 1.0, durations
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not Destination.objects.get().consecutive_failures:
        time.sleep(0.1)
    assert Destination.objects.get().last_error == "127.0.0.1 did not answer within 3 s."


def test_the_payload_is_json_with_the_documented_fields(receiver: Receiver) -> None:
    hook = Destination.objects.create(name="Hook", kind="webhook", url=receiver.url)
    raise_and_clear(hook)
    receiver.wait_for(2)
    documented = json.loads(
        re.search(r"## The webhook payload.*?```json\n(.*?)```", DOCS.read_text(), re.S).group(1)  # type: ignore[union-attr]
    )
    for request in receiver.received:
        assert set(request.json()) == set(documented)
        assert set(request.json()["row"]) == set(documented["row"])
