"""A quiet socket hears a heartbeat, so the screen can tell a quiet link from a dead one."""

import asyncio

import pytest

from connectmetrics.models import QueueFilter
from dashboard import fanout
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from tests.socket_support import opened, receive, tv_path, update

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_screen_hears_a_heartbeat_when_nothing_else_is_sent(
    wallboard: Wallboard, tv_token: tuple[DisplayToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "HEARTBEAT_SECONDS", 0.05)
    socket = await opened(tv_path(wallboard, tv_token[1]))

    heartbeat = await receive(socket)

    assert heartbeat["type"] == "heartbeat"
    assert heartbeat["published_at"].endswith("Z")
    await socket.disconnect()


async def test_a_screen_that_gets_updates_hears_no_heartbeat(
    wallboard: Wallboard,
    tv_token: tuple[DisplayToken, str],
    queue_filter: QueueFilter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "HEARTBEAT_SECONDS", 0.6)
    socket = await opened(tv_path(wallboard, tv_token[1]))

    # Updates every 0.1 s for 2 s: the heartbeat clock ticks every 0.2 s meanwhile.
    for seq in range(1, 21):
        await apublish_update(queue_filter.pk, update(queue_filter, seq))
        await asyncio.sleep(0.1)

    kinds = [(await receive(socket))["type"] for _ in range(20)]
    assert kinds == ["update"] * 20
    await socket.disconnect()
