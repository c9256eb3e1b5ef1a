"""The wallboard socket of a wallboard with two panels: it follows every panel's source,
sends one snapshot per source after the "wallboard" message, routes each update by its
`queue_filter`, and keeps the reconnect rule per source (an update a socket could not
take brings a fresh snapshot of that source only)."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from connectmetrics.models import QueueFilter
from connectmetrics.poller import readings
from dashboard import fanout
from dashboard.models import Panel, Wallboard
from dashboard.push import apublish_update
from tests.socket_support import open_socket, receive, simulated_centre, tv_socket, update

pytestmark = pytest.mark.django_db(transaction=True)


class Floor:
    """A wallboard of two panels, each of its own queue filter, and a TV token for it."""

    def __init__(self) -> None:
        instance = simulated_centre()
        self.all_queues = QueueFilter.objects.create(name="All queues", instance=instance)
        self.priority = QueueFilter.objects.create(name="Priority queues", instance=instance)
        self.other = QueueFilter.objects.create(name="Another floor", instance=instance)
        self.wallboard = Wallboard.objects.create(slug="floor", title="Floor")
        self.first = self.wallboard.add_panel(self.all_queues, layout="tiles")
        self.second = self.wallboard.add_panel(self.priority, layout="table")
        self.path = tv_socket(self.wallboard)


@pytest.fixture
def floor(transactional_db: None) -> Floor:
    return Floor()


def snapshot(queue_filter: QueueFilter, seq: int) -> str:
    return json.dumps({"type": "snapshot", "queue_filter": queue_filter.pk, "seq": seq})


async def screen_of(floor: Floor) -> WebsocketCommunicator:
    """An open screen past its "wallboard" message and each source's snapshot and
    open alerts."""
    socket = await open_socket(floor.path)
    assert (await receive(socket))["type"] == "wallboard"
    first = [await receive(socket) for _ in range(4)]
    assert {(m["type"], m["queue_filter"]) for m in first} == {
        ("snapshot", floor.all_queues.pk),
        ("snapshot", floor.priority.pk),
        ("alerts", floor.all_queues.pk),
        ("alerts", floor.priority.pk),
    }
    return socket


async def test_a_screen_gets_the_panels_then_a_snapshot_of_each_source(floor: Floor) -> None:
    store = readings.readings_store()
    kept = snapshot(floor.priority, 41)
    await database_sync_to_async(store.save)(
        floor.priority.source_key, seq=41, snapshot_text=kept, good=None
    )
    socket = await open_socket(floor.path)

    settings_message = await receive(socket)
    first, second = await receive(socket), await receive(socket)

    assert settings_message["type"] == "wallboard"
    assert [
        (p["id"], p["title"], p["layout"], p["queue_filter"]) for p in settings_message["panels"]
    ] == [
        (floor.first.pk, "All queues", "tiles", floor.all_queues.pk),
        (floor.second.pk, "Priority queues", "table", floor.priority.pk),
    ]
    # In the panels' order: the first panel's source has no numbers yet.
    assert (first["queue_filter"], first["seq"], first["status"]) == (
        floor.all_queues.pk,
        0,
        "stale",
    )
    assert second == json.loads(kept)
    await socket.disconnect()


async def test_each_update_reaches_the_screen_by_its_source_and_no_other_sources(
    floor: Floor,
) -> None:
    socket = await screen_of(floor)

    await apublish_update(floor.other.pk, update(floor.other, 1))
    await apublish_update(floor.priority.pk, update(floor.priority, 1))
    await apublish_update(floor.all_queues.pk, update(floor.all_queues, 1))
    await apublish_update(floor.priority.pk, update(floor.priority, 2))

    received = [await receive(socket) for _ in range(3)]
    assert [(m["queue_filter"], m["seq"]) for m in received] == [
        (floor.priority.pk, 1),
        (floor.all_queues.pk, 1),
        (floor.priority.pk, 2),
    ]
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_missed_update_brings_a_fresh_snapshot_of_that_source_only(
    floor: Floor,
) -> None:
    socket = await screen_of(floor)
    fresh = snapshot(floor.priority, 5)
    await database_sync_to_async(readings.readings_store().save)(
        floor.priority.source_key, seq=5, snapshot_text=fresh, good=None
    )

    # The screen has seq 0 of the priority queues; update 5 applies to 4.
    await apublish_update(floor.priority.pk, update(floor.priority, 5))
    assert await socket.receive_from(timeout=3) == fresh
    # The other source carries on from what the screen has.
    following = update(floor.all_queues, 1)
    await apublish_update(floor.all_queues.pk, following)
    assert await socket.receive_from(timeout=3) == following
    # And the priority queues' updates follow their fresh snapshot.
    after = update(floor.priority, 6)
    await apublish_update(floor.priority.pk, after)
    assert await socket.receive_from(timeout=3) == after
    await socket.disconnect()


async def test_a_panel_added_or_removed_on_the_admin_changes_what_open_screens_follow(
    floor: Floor,
) -> None:
    socket = await screen_of(floor)

    added = await database_sync_to_async(floor.wallboard.add_panel)(floor.other)
    settings_message = await receive(socket)
    assert [p["queue_filter"] for p in settings_message["panels"]] == [
        floor.all_queues.pk,
        floor.priority.pk,
        floor.other.pk,
    ]
    new_source = await receive(socket)
    assert (new_source["type"], new_source["queue_filter"]) == ("snapshot", floor.other.pk)
    its_alerts = await receive(socket)
    assert (its_alerts["type"], its_alerts["queue_filter"]) == ("alerts", floor.other.pk)
    text = update(floor.other, 1)
    await apublish_update(floor.other.pk, text)
    assert await socket.receive_from(timeout=3) == text

    await database_sync_to_async(Panel.objects.filter(pk=floor.second.pk).delete)()
    settings_message = await receive(socket)
    assert [p["id"] for p in settings_message["panels"]] == [floor.first.pk, added.pk]
    await apublish_update(floor.priority.pk, update(floor.priority, 1))
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_two_panel_screen_counts_as_one_open_socket(floor: Floor) -> None:
    sockets = [await screen_of(floor) for _ in range(2)]

    assert await fanout.open_sockets() == 2
    for socket in sockets:
        await socket.disconnect()
