"""Acknowledging an alert: the staff-only POST a page will call, and the admin's action."""

from datetime import UTC, datetime

import pytest
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from connectmetrics.alerts.evaluator import evaluate
from connectmetrics.alerts.models import Alert, AlertEvent, AlertStatus, Destination, EventKind
from tests.alerts_support import centre, feed, rule_on

pytest_plugins = ["tests.alerts_support"]
pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
CSRF_SECRET = "a" * 32


@pytest.fixture
def open_alert() -> Alert:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=0, clear_after=0)
    feed(evaluate, queue_filter, START, [200], billing)
    return Alert.objects.get(status=AlertStatus.OPEN)


def staff_client(django_user_model: type, name: str = "sam", *, staff: bool = True) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user(name, is_staff=staff))
    client.cookies["csrftoken"] = CSRF_SECRET  # as a page of the site would have set it
    return client


def post(client: Client, alert_id: int) -> tuple[int, dict[str, object]]:
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    answer = client.post(reverse("alert-acknowledge", args=[alert_id]), HTTP_X_CSRFTOKEN=token)
    return answer.status_code, answer.json() if answer.headers[
        "Content-Type"
    ] == "application/json" else {}


def test_staff_acknowledge_once_and_the_first_one_stands(
    open_alert: Alert, django_user_model: type
) -> None:
    status, body = post(staff_client(django_user_model), open_alert.pk)
    assert status == 200 and body["acknowledged"] is True and body["acknowledged_by"] == "sam"
    status, body = post(staff_client(django_user_model, "kim"), open_alert.pk)
    assert status == 200 and body["acknowledged_by"] == "sam"
    assert AlertEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).count() == 1
    open_alert.refresh_from_db()
    assert open_alert.acknowledged_by is not None and open_alert.acknowledged_at is not None


def test_only_staff_may_acknowledge(open_alert: Alert, django_user_model: type) -> None:
    status, body = post(staff_client(django_user_model, staff=False), open_alert.pk)
    assert status == 403 and body["acknowledged"] is False
    anonymous = Client()
    answer = anonymous.post(reverse("alert-acknowledge", args=[open_alert.pk]))
    assert answer.status_code in (302, 403)
    assert not AlertEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).exists()


def test_a_cleared_or_unknown_alert_cannot_be_acknowledged(
    open_alert: Alert, django_user_model: type
) -> None:
    client = staff_client(django_user_model)
    assert post(client, 999_999)[0] == 404
    Alert.objects.filter(pk=open_alert.pk).update(status=AlertStatus.CLEARED)
    status, body = post(client, open_alert.pk)
    assert status == 409 and "cleared" in str(body["error"])


def test_a_get_or_a_post_without_the_csrf_token_changes_nothing(
    open_alert: Alert, django_user_model: type
) -> None:
    client = staff_client(django_user_model)
    assert client.get(reverse("alert-acknowledge", args=[open_alert.pk])).status_code == 405
    answer = client.post(reverse("alert-acknowledge", args=[open_alert.pk]))
    assert answer.status_code == 403
    open_alert.refresh_from_db()
    assert open_alert.acknowledged_at is None


def test_the_admin_acknowledges_and_lists_the_history(
    open_alert: Alert, admin_client: Client
) -> None:
    answer = admin_client.post(
        reverse("admin:alerts_alert_changelist"),
        {"action": "acknowledge", "_selected_action": [open_alert.pk]},
        follow=True,
    )
    assert "1 alert(s) acknowledged." in answer.content.decode()
    history = admin_client.get(reverse("admin:alerts_alertevent_changelist") + "?kind=acknowledged")
    page = history.content.decode()
    assert history.status_code == 200 and "Acknowledged" in page and "Billing" in page
    assert admin_client.get(reverse("admin:alerts_destination_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:alerts_alertrule_add")).status_code == 200


def test_the_history_outlives_its_rule_and_a_rules_threshold_is_protected(
    open_alert: Alert, admin_client: Client
) -> None:
    rule = open_alert.rule
    threshold = rule.threshold
    with pytest.raises(ProtectedError):
        threshold.delete()
    rule.delete()
    entry = AlertEvent.objects.get()
    assert (entry.kind, entry.rule_name, entry.row_label) == (
        EventKind.RAISED,
        rule.name,
        "Billing",
    )
    page = admin_client.get(reverse("admin:alerts_alertevent_changelist")).content.decode()
    assert rule.name in page and "Billing" in page


def test_a_failing_destination_shows_why_in_the_admin(admin_client: Client) -> None:
    Destination.objects.create(
        name="Ops hook",
        kind="webhook",
        url="https://hooks.example/ops",
        consecutive_failures=3,
        failing_since=START,
        last_error="hooks.example answered HTTP 503.",
    )
    page = admin_client.get(reverse("admin:alerts_destination_changelist")).content.decode()
    assert "Failing since 2026-12-02 09:00:00 (3 attempts in a row): " in page
    assert "hooks.example answered HTTP 503." in page
