"""Celery beat stopped, then started twice by mistake (issue 7, fault 4).

With beat stopped nothing polls, so the server has nothing to push: the screens keep the
last numbers, and what keeps them from passing for live is their data_snapshot_time,
which the page's stale rule (static/wallboard/freshness.js, mirrored by
chaos_support.looks_live) compares with the server's clock. So the server must never
restamp old numbers: a screen that (re)connects gets the old data_snapshot_time. Two beats
must not double the polls: each interval's slot is claimed once in Redis.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from connectmetrics.poller.schedule import slot_of
from tests.chaos_support import (
    Received,
    Screen,
    Topology,
    data_time,
    is_update,
    looks_live,
    record,
    stale_bound,
    start_topology,
    upstream_call_times,
)
from tests.conftest import RedisServer

pytestmark = pytest.mark.e2e

INTERVAL = 1
BOUND = stale_bound(INTERVAL)  # 7 s: two intervals and the page's margin
IN_FLIGHT = 1.5  # a poll dispatched just before beat stopped may still land


@pytest.fixture(scope="module")
def topology(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    redis_server.fresh()
    running = start_topology(
        tmp_path_factory.mktemp("beat"), redis_url=redis_server.url, interval=INTERVAL
    )
    yield running
    running.discard()


def ok_update(received: Received) -> bool:
    return is_update(received) and received.message["status"] == "ok"


async def test_with_beat_stopped_screens_turn_stale_never_showing_old_numbers_as_live(
    topology: Topology,
) -> None:
    redis_url = topology.redis_url
    assert redis_url is not None
    async with Screen(topology.socket_url(), topology.base_url) as screen:
        last_live = await screen.wait_for(ok_update, 10)
        assert looks_live(last_live.message, last_live.at)
        topology.beats[0].stop()
        stopped = time.time()
        await asyncio.sleep(BOUND + 1)
        now = time.time()
        shown = screen.of_type("snapshot", "update")[-1]

    record(
        "beat_stopped",
        stale_bound_s=BOUND,
        data_age_after_bound_s=round(now - (data_time(shown.message) or 0), 1),
        calls_while_stopped=len(
            [t for t in upstream_call_times(redis_url) if t > stopped + IN_FLIGHT]
        ),
        updates_while_stopped=len(
            [r for r in screen.of_type("update") if r.at > stopped + IN_FLIGHT]
        ),
        looks_live_after_bound=looks_live(shown.message, now),
    )
    # Nothing polled and nothing was pushed as new...
    assert [t for t in upstream_call_times(redis_url) if t > stopped + IN_FLIGHT] == []
    assert [r for r in screen.of_type("update") if r.at > stopped + IN_FLIGHT] == []
    # ...so the screen's numbers are as old as the stop, and the page shows them stale.
    assert now - (data_time(shown.message) or 0) > BOUND
    assert not looks_live(shown.message, now)

    # A screen (re)connecting now is sent the same numbers with their own, old, time.
    async with Screen(topology.socket_url(), topology.base_url) as late:
        snapshot = await late.wait_for(lambda r: r.kind == "snapshot", 5)
    assert snapshot.message["seq"] == shown.message["seq"]
    assert snapshot.message["data_snapshot_time"] == shown.message["data_snapshot_time"]
    assert not looks_live(snapshot.message, snapshot.at)


async def test_two_beats_by_mistake_poll_each_interval_once(topology: Topology) -> None:
    redis_url = topology.redis_url
    assert redis_url is not None
    beats = [topology.stack.start("beat") for _ in range(2)]
    for beat in beats:
        beat.wait_ready(30)
    topology.beats.extend(beats)
    demo = topology.shell_json(
        "from connectmetrics.models import QueueFilter; "
        "print(QueueFilter.objects.get(name='All queues').pk)"
    )
    async with Screen(topology.socket_url(), topology.base_url) as screen:
        first = await screen.wait_for(ok_update, 10)
        watched_from = first.at
        await asyncio.sleep(4 * INTERVAL)
        updates = [r for r in screen.of_type("update") if r.at >= watched_from]

    calls = [t for t in upstream_call_times(redis_url) if t >= watched_from - 0.5]
    per_slot = Counter(slot_of(demo, INTERVAL, t) for t in calls)
    record(
        "two_beats",
        beats=2,
        intervals_watched=len(per_slot),
        calls=len(calls),
        most_calls_in_one_interval=max(per_slot.values()),
        updates=len(updates),
    )
    assert max(per_slot.values()) == 1, f"an interval polled twice: {per_slot}"
    assert 3 <= len(calls) <= 5
    seqs = [r.message["seq"] for r in updates]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # one update per poll, none twice
    assert all(beat.alive for beat in beats)
