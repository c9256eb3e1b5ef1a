"""Open alerts on the wallboard socket: the whole list right after the snapshot, then again
whenever an alert is raised, changes value or level, is acknowledged or clears, through the
project's whole ASGI stack on the in-memory channel layer of embedded mode. The alerts are
made by the real evaluator, fed through the poller's port (connectmetrics/poller/poll_levels.py)."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from connectmetrics.alerts.models import Alert, AlertRule
from connectmetrics.alerts.on_screens import alerts_text
from connectmetrics.models import Queue, QueueFilter
from connectmetrics.poller import poll_levels
from connectmetrics.wire import socket_messages
from connectmetrics.wire.socket_messages import AlertsMessage
from dashboard.models import Wallboard
from tests.alerts_support import centre, row, rule_on
from tests.modes import use_redis
from tests.socket_support import make_user, open_socket, signed_in

pytest_plugins = ["tests.alerts_support"]
pytestmark = pytest.mark.django_db(transaction=True)

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def on_redis(settings: Any, redis_url: str) -> Iterator[None]:
    """The full topology: the channel layer a Celery worker publishes through, on Redis."""
    use_redis(settings, redis_url)
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": settings.REDIS_CHANNEL_LAYER, "CONFIG": {"hosts": [redis_url]}}
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def board(transactional_db: None) -> tuple[QueueFilter, Queue, Queue, AlertRule]:
    queue_filter, billing, vip = centre()
    rule = rule_on(queue_filter, raise_after=0, clear_after=0)
    Wallboard.objects.create(slug="floor", title="Floor").add_panel(queue_filter)
    return queue_filter, billing, vip, rule


def staff(name: str = "sam") -> Client:
    return signed_in(make_user(name, is_staff=True))[0]


async def open_screen(client: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return await open_socket("/ws/wallboards/floor/", cookie=cookie)


async def next_message(communicator: WebsocketCommunicator) -> dict[str, Any]:
    text = await communicator.receive_from(timeout=3)
    socket_messages.decode(text)  # every message fits the contract
    message: dict[str, Any] = json.loads(text)
    return message


async def next_alerts(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    message = await next_message(communicator)
    assert message["type"] == "alerts", message
    alerts: list[dict[str, Any]] = message["alerts"]
    return alerts


async def opened(client: Client) -> tuple[WebsocketCommunicator, list[dict[str, Any]]]:
    """A screen past its "wallboard" and "snapshot" messages, and the alerts after them."""
    communicator = await open_screen(client)
    assert (await next_message(communicator))["type"] == "wallboard"
    assert (await next_message(communicator))["type"] == "snapshot"
    return communicator, await next_alerts(communicator)


@database_sync_to_async
def poll(queue_filter: QueueFilter, at: datetime, *rows: dict[str, Any]) -> None:
    """A good poll's rows reaching the alerts, as the poller reports them."""
    poll_levels.report(queue_filter.pk, list(rows), at)


@database_sync_to_async
def acknowledge(client: Client, alert_id: int) -> int:
    return client.post(reverse("alert-acknowledge", args=[alert_id])).status_code


async def test_a_screen_gets_the_open_alerts_after_its_snapshot(
    board: tuple[QueueFilter, Queue, Queue, AlertRule],
) -> None:
    queue_filter, billing, vip, rule = board
    await poll(queue_filter, START, row(billing, 200), row(vip, 10))
    client = await database_sync_to_async(staff)()
    communicator, alerts = await opened(client)
    alert = await database_sync_to_async(Alert.objects.get)()
    assert alerts == [
        {
            "id": alert.pk,
            "rule": rule.name,
            "row": "Billing",
            "metric": "OLDEST_CONTACT_AGE",
            "value": 200.0,
            "level": "critical",
            "since": "2026-12-03T09:00:00.000Z",
            "raised_at": "2026-12-03T09:00:00.000Z",
            "acknowledged_by": None,
            "acknowledged_at": None,
        }
    ]
    await communicator.disconnect()


async def test_raise_value_change_acknowledgement_and_clear_reach_an_open_screen(
    board: tuple[QueueFilter, Queue, Queue, AlertRule],
) -> None:
    queue_filter, billing, vip, _ = board
    client = await database_sync_to_async(staff)()
    communicator, alerts = await opened(client)
    assert alerts == []

    await poll(queue_filter, START, row(billing, 100), row(vip, 10))
    raised = await next_alerts(communicator)
    assert [(a["row"], a["level"], a["value"]) for a in raised] == [("Billing", "warning", 100)]

    # The same numbers again change nothing on the screen: nothing is sent.
    await poll(queue_filter, START + timedelta(seconds=5), row(billing, 100), row(vip, 10))
    assert await communicator.receive_nothing(timeout=0.5)

    await poll(queue_filter, START + timedelta(seconds=10), row(billing, 190), row(vip, 10))
    changed = await next_alerts(communicator)
    assert [(a["level"], a["value"]) for a in changed] == [("critical", 190)]

    assert await acknowledge(client, raised[0]["id"]) == 200
    acknowledged = await next_alerts(communicator)
    assert acknowledged[0]["acknowledged_by"] == "sam"
    assert acknowledged[0]["acknowledged_at"] is not None

    await poll(queue_filter, START + timedelta(seconds=15), row(billing, 10), row(vip, 10))
    assert await next_alerts(communicator) == []
    await communicator.disconnect()


async def test_on_redis_a_raise_from_a_workers_thread_reaches_an_open_screen(
    on_redis: None, board: tuple[QueueFilter, Queue, Queue, AlertRule]
) -> None:
    queue_filter, billing, _, _ = board
    client = await database_sync_to_async(staff)()
    communicator, alerts = await opened(client)
    assert alerts == []

    await poll(queue_filter, START, row(billing, 200))

    assert [(a["row"], a["level"]) for a in await next_alerts(communicator)] == [
        ("Billing", "critical")
    ]
    await communicator.disconnect()


async def test_a_screen_sees_only_its_queue_filters_alerts(
    board: tuple[QueueFilter, Queue, Queue, AlertRule],
) -> None:
    queue_filter, billing, _, _ = board

    @database_sync_to_async
    def another_board() -> QueueFilter:
        other = QueueFilter.objects.create(name="Other", instance=queue_filter.instance)
        rule_on(other, raise_after=0, clear_after=0)
        return other

    other = await another_board()
    client = await database_sync_to_async(staff)()
    communicator, _ = await opened(client)
    await poll(other, START, row(billing, 200))
    assert await communicator.receive_nothing(timeout=0.5)
    await poll(queue_filter, START, row(billing, 200))
    assert [a["row"] for a in await next_alerts(communicator)] == ["Billing"]
    await communicator.disconnect()


async def test_disabling_a_rule_takes_its_alerts_off_open_screens(
    board: tuple[QueueFilter, Queue, Queue, AlertRule],
) -> None:
    queue_filter, billing, _, rule = board
    await poll(queue_filter, START, row(billing, 200))
    client = await database_sync_to_async(staff)()
    communicator, alerts = await opened(client)
    assert len(alerts) == 1

    rule.enabled = False
    await database_sync_to_async(rule.save)()

    assert await next_alerts(communicator) == []
    await communicator.disconnect()


def test_the_alerts_message_fits_the_contract(
    board: tuple[QueueFilter, Queue, Queue, AlertRule],
) -> None:
    queue_filter, billing, _, _ = board
    poll_levels.report(queue_filter.pk, [row(billing, 200)], START)
    message = socket_messages.decode(alerts_text(queue_filter.pk))
    assert isinstance(message, AlertsMessage) and message.queue_filter == queue_filter.pk
    assert [a.row for a in message.alerts] == ["Billing"]
