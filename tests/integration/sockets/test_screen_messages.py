"""What an open screen is sent: the wallboard, then a snapshot of its panel's source, then
updates; a screen that missed an update gets a fresh snapshot; an admin's change to the
wallboard reaches open screens at once."""

import json

import pytest
from channels.db import database_sync_to_async

from connectmetrics.models import QueueFilter
from connectmetrics.poller import readings
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from tests.socket_support import open_socket, opened, receive, tv_path, update

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_tv_gets_the_wallboard_and_then_a_snapshot_before_any_poll(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    socket = await open_socket(tv_path(wallboard, tv_token[1]))

    settings_message = await receive(socket)
    snapshot = await receive(socket)

    assert settings_message["type"] == "wallboard"
    assert settings_message["title"] == "Sales floor"
    assert settings_message["ticker"] == "Welcome"
    assert [panel["queue_filter"] for panel in settings_message["panels"]] == [queue_filter.pk]
    assert snapshot["type"] == "snapshot"
    assert snapshot["queue_filter"] == queue_filter.pk
    assert snapshot["status"] != "ok" and snapshot["reason"]
    assert snapshot["published_at"].endswith("Z")
    await socket.disconnect()


async def test_a_screen_gets_the_latest_snapshot_kept_by_the_poller(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    kept = json.dumps({"type": "snapshot", "queue_filter": queue_filter.pk, "seq": 41})
    readings.readings_store().save(queue_filter.source_key, seq=41, snapshot_text=kept, good=None)
    socket = await open_socket(tv_path(wallboard, tv_token[1]))

    await receive(socket)
    assert await socket.receive_from(timeout=3) == kept
    await socket.disconnect()


async def test_an_update_reaches_every_screen_unchanged(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    screens = [await opened(tv_path(wallboard, tv_token[1])) for _ in range(3)]
    text = update(queue_filter, 1)

    await apublish_update(queue_filter.pk, text)

    assert [await s.receive_from(timeout=3) for s in screens] == [text] * 3
    for screen in screens:
        await screen.disconnect()


async def test_a_screen_that_missed_an_update_is_sent_a_fresh_snapshot_instead(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    screen = await opened(tv_path(wallboard, tv_token[1]))
    store = readings.readings_store()
    fresh = json.dumps({"type": "snapshot", "queue_filter": queue_filter.pk, "seq": 3})
    store.save(queue_filter.source_key, seq=3, snapshot_text=fresh, good=None)

    # The screen has seq 0; update 3 applies to 2, which it never got.
    await apublish_update(queue_filter.pk, update(queue_filter, 3))

    assert await screen.receive_from(timeout=3) == fresh
    # Updates after the fresh snapshot apply to it again.
    following = update(queue_filter, 4)
    await apublish_update(queue_filter.pk, following)
    assert await screen.receive_from(timeout=3) == following
    await screen.disconnect()


async def test_saving_the_wallboard_shows_the_new_ticker_on_open_screens_at_once(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str]
) -> None:
    socket = await opened(tv_path(wallboard, tv_token[1]))
    wallboard.ticker = "Team meeting at 15:00"

    await database_sync_to_async(wallboard.save)()

    message = await receive(socket)
    assert message["type"] == "wallboard"
    assert message["ticker"] == "Team meeting at 15:00"
    await socket.disconnect()


async def test_a_re_pointed_panel_moves_its_screens_to_the_new_queue_filter(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], queue_filter: QueueFilter
) -> None:
    socket = await opened(tv_path(wallboard, tv_token[1]))
    service = await database_sync_to_async(QueueFilter.objects.create)(
        name="Service queues", instance_id=queue_filter.instance_id
    )
    panel = await wallboard.panels.aget()
    panel.queue_filter = service

    await database_sync_to_async(panel.save)()

    settings_message = await receive(socket)
    assert [shown["queue_filter"] for shown in settings_message["panels"]] == [service.pk]
    snapshot = await receive(socket)
    assert (snapshot["type"], snapshot["queue_filter"]) == ("snapshot", service.pk)
    await apublish_update(queue_filter.pk, update(queue_filter, 1))
    await apublish_update(service.pk, update(service, 1))
    assert (await receive(socket))["queue_filter"] == service.pk
    await socket.disconnect()
