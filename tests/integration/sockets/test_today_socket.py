"""The wallboard socket carries a today panel's messages: the panel names its source by
SourceKey, a never-polled source starts from a waiting today_snapshot, the kept snapshot
and every today_update of it follow; and a panel shows exactly one source in its layout."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from connectmetrics.models import QueueFilter
from connectmetrics.today.models import TodaySource
from dashboard.models import Panel, Wallboard
from dashboard.push import apublish_source_update
from tests.socket_support import open_socket, receive, simulated_centre, source_update, tv_socket

pytestmark = pytest.mark.django_db(transaction=True)


class Board:
    """A wallboard with the live queue totals beside today's KPIs."""

    def __init__(self) -> None:
        instance = simulated_centre()
        self.queues = QueueFilter.objects.create(name="Centre totals", instance=instance)
        self.today = TodaySource.objects.create(name="Today", instance=instance)
        self.other = TodaySource.objects.create(name="Another day", instance=instance)
        self.wallboard = Wallboard.objects.create(slug="today", title="Today")
        self.queue_panel = self.wallboard.add_panel(self.queues)
        self.today_panel = self.wallboard.add_panel(self.today)
        self.path = tv_socket(self.wallboard)


@pytest.fixture
def board(transactional_db: None) -> Board:
    return Board()


async def test_a_today_panel_gets_a_waiting_snapshot_then_its_sources_updates(
    board: Board,
) -> None:
    socket = await open_socket(board.path)

    settings_message = await receive(socket)
    messages = [await receive(socket), await receive(socket)]

    assert [(p["layout"], p["source"], p["queue_filter"]) for p in settings_message["panels"]] == [
        ("tiles", f"queue_filter:{board.queues.pk}", board.queues.pk),
        ("today", f"today_source:{board.today.pk}", None),
    ]
    waiting = next(m for m in messages if m["type"] == "today_snapshot")
    assert (waiting["source"], waiting["seq"], waiting["status"], waiting["rows"]) == (
        str(board.today.source_key),
        0,
        "stale",
        [],
    )
    assert waiting["total"] is None and "first numbers" in waiting["reason"]
    await receive(socket)  # the queue filter's open alerts

    # The first poll's update follows the waiting snapshot (seq 0).
    await apublish_source_update(
        board.other.source_key, source_update("today_update", board.other.source_key, 1)
    )
    await apublish_source_update(
        board.today.source_key, source_update("today_update", board.today.source_key, 1)
    )
    received = await receive(socket)
    assert (received["type"], received["source"], received["seq"]) == (
        "today_update",
        str(board.today.source_key),
        1,
    )
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


def test_a_today_panel_shows_only_its_source_as_todays_kpis(board: Board) -> None:
    assert (board.today_panel.layout, board.today_panel.columns) == ("today", [])
    assert board.today_panel.title == "Today"
    assert board.today_panel.source_key == board.today.source_key
    two = Panel(wallboard=board.wallboard, queue_filter=board.queues, today_source=board.today)
    with pytest.raises(ValidationError) as refused:
        two.full_clean()
    assert set(refused.value.message_dict) >= {"queue_filter", "today_source"}
    as_tiles = Panel(wallboard=board.wallboard, today_source=board.today, layout="tiles")
    with pytest.raises(ValidationError, match="today's KPIs"):
        as_tiles.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Panel.objects.create(
            wallboard=board.wallboard, queue_filter=board.queues, today_source=board.today
        )
