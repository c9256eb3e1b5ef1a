"""The wallboard socket carries an agent panel's messages: the panel names its source
by SourceKey, the socket sends that source's agent_snapshot after the "wallboard"
message and every agent_update of it, and none of an agent source no panel shows."""

import json

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connectmetrics.agents.models import AgentSource
from connectmetrics.models import QueueFilter
from connectmetrics.poller import readings
from dashboard.models import Panel, Wallboard
from dashboard.push import apublish_source_update
from tests.socket_support import open_socket, receive, simulated_centre, source_update, tv_socket

pytestmark = pytest.mark.django_db(transaction=True)


class Floor:
    """A wallboard with a queue filter's panel and an agent source's panel."""

    def __init__(self) -> None:
        instance = simulated_centre()
        self.queues = QueueFilter.objects.create(name="All queues", instance=instance)
        self.agents = AgentSource.objects.create(name="Whole floor", instance=instance)
        self.other = AgentSource.objects.create(name="Another floor", instance=instance)
        self.wallboard = Wallboard.objects.create(slug="floor", title="Floor")
        self.queue_panel = self.wallboard.add_panel(self.queues)
        self.agent_panel = self.wallboard.add_panel(self.agents)
        self.path = tv_socket(self.wallboard)


@pytest.fixture
def floor(transactional_db: None) -> Floor:
    return Floor()


async def test_an_agent_panel_gets_its_sources_snapshot_and_updates(floor: Floor) -> None:
    kept = json.dumps({"type": "agent_snapshot", "source": str(floor.agents.source_key), "seq": 7})
    await database_sync_to_async(readings.readings_store().save)(
        floor.agents.source_key, seq=7, snapshot_text=kept, good=None
    )
    socket = await open_socket(floor.path)

    settings_message = await receive(socket)
    first, second = await receive(socket), await receive(socket)

    assert [(p["layout"], p["source"], p["queue_filter"]) for p in settings_message["panels"]] == [
        ("tiles", f"queue_filter:{floor.queues.pk}", floor.queues.pk),
        ("agents", f"agent_source:{floor.agents.pk}", None),
    ]
    assert (first["type"], first["queue_filter"]) == ("snapshot", floor.queues.pk)
    assert second == json.loads(kept)
    # A queue filter's open alerts follow the snapshots; an agent source has none.
    alerts = await receive(socket)
    assert (alerts["type"], alerts["queue_filter"]) == ("alerts", floor.queues.pk)

    await apublish_source_update(
        floor.other.source_key, source_update("agent_update", floor.other.source_key, 8)
    )
    await apublish_source_update(
        floor.agents.source_key, source_update("agent_update", floor.agents.source_key, 8)
    )
    received = await receive(socket)
    assert (received["type"], received["source"], received["seq"]) == (
        "agent_update",
        str(floor.agents.source_key),
        8,
    )
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_source_never_polled_starts_from_a_waiting_agent_snapshot(floor: Floor) -> None:
    socket = await open_socket(floor.path)
    await receive(socket)
    messages = [await receive(socket), await receive(socket)]
    waiting = next(m for m in messages if m["type"] == "agent_snapshot")
    assert (waiting["source"], waiting["seq"], waiting["status"], waiting["agents"]) == (
        str(floor.agents.source_key),
        0,
        "stale",
        [],
    )
    await socket.disconnect()


def test_a_panel_shows_exactly_one_source(floor: Floor) -> None:
    both = Panel(wallboard=floor.wallboard, queue_filter=floor.queues, agent_source=floor.agents)
    with pytest.raises(ValidationError) as refused:
        both.full_clean()
    assert set(refused.value.message_dict) >= {"queue_filter", "agent_source"}
    grid_of_queues = Panel(wallboard=floor.wallboard, queue_filter=floor.queues, layout="agents")
    with pytest.raises(ValidationError, match="tiles or a table"):
        grid_of_queues.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Panel.objects.create(wallboard=floor.wallboard, layout="tiles")
    assert floor.agent_panel.source_key == floor.agents.source_key
