"""A Celery worker killed with SIGKILL in the middle of a poll (issue 7, fault 3).

Real processes: two workers, beat and the web server on a private Redis; the simulated
centre answers every call 2 s late, so a poll is caught in flight. SIGKILL runs no cleanup,
so the killed poll's lock is only freed by its expiry (connectmetrics/poller/polling.lock_ttl:
interval - 0.75 s). What the supervisors must see: the next interval is polled by the other
worker and the screens carry on; what the account must see: never two calls for the filter
in one interval.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.poller.schedule import slot_of
from connectmetrics.simulator import call_log, set_faults
from tests.chaos_support import (
    GET_METRICS,
    Screen,
    Topology,
    is_update,
    record,
    start_topology,
    upstream_call_times,
)
from tests.conftest import RedisServer

INTERVAL = 3
LATENCY = 2.0  # under the lock's 2.25 s, so a healthy poll keeps its lock to the end
# A poll starts within this long of its interval's start: beat ticks once a second,
# then the worker takes the task and reads the filter.
DISPATCH_SLACK = 1.4


DEMO_FILTER_ID = (
    "from connectmetrics.models import QueueFilter; "
    "print(QueueFilter.objects.get(name='All queues').pk)"
)


@pytest.fixture(scope="module")
def topology(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    redis_server.fresh()
    running = start_topology(
        tmp_path_factory.mktemp("worker-kill"),
        redis_url=redis_server.url,
        interval=INTERVAL,
        workers=2,
        env={"CELERY_CONCURRENCY": "1"},
    )
    yield running
    running.discard()


async def call_in_flight(redis_url: str, after: int, within: float) -> tuple[float, int]:
    """(arrival time, pid) of the first GetCurrentMetricData call after the first `after`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        calls = [
            c for c in call_log(redis_url, SIMULATED_INSTANCE_ID) if c.operation == GET_METRICS
        ]
        if len(calls) > after:
            return calls[after].at, calls[after].pid
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no upstream call within {within} s")


async def test_a_worker_killed_mid_poll_costs_no_interval_and_no_double_call(
    topology: Topology,
) -> None:
    redis_url = topology.redis_url
    assert redis_url is not None
    async with Screen(topology.socket_url(), topology.base_url) as screen:
        await screen.wait_for(lambda r: is_update(r) and r.message["status"] == "ok", 10)
        set_faults(redis_url, SIMULATED_INSTANCE_ID, latency=LATENCY)
        # The next poll is caught while the centre sits on its answer: kill its worker.
        calls_before = len(upstream_call_times(redis_url))
        started, pid = await call_in_flight(redis_url, calls_before, INTERVAL + 3)
        victim = topology.service_of(pid)
        victim.kill()
        killed_at = time.time()
        assert killed_at - started < LATENCY, "the poll had already answered"
        survivor = next(w for w in topology.workers if w is not victim)
        seen = len(screen.received)

        # The next interval is polled by the surviving worker, once the lock has expired.
        next_call, next_pid = await call_in_flight(redis_url, calls_before + 1, INTERVAL + 3)
        assert topology.service_of(next_pid) is survivor
        assert INTERVAL - DISPATCH_SLACK <= next_call - started <= INTERVAL + DISPATCH_SLACK
        # ...and the screens get its numbers: the killed poll cost them one update.
        update = await screen.wait_for(
            lambda r: is_update(r) and r.message["status"] == "ok",
            within=INTERVAL + LATENCY + 2,
            after=seen,
        )
        assert update.at - killed_at <= INTERVAL + LATENCY + 1.5
        await asyncio.sleep(2 * INTERVAL)
        set_faults(redis_url, SIMULATED_INSTANCE_ID)
        later = [r for r in screen.received[seen:] if is_update(r)]

    # Never two calls for the filter in one interval (the schedule's slots), before, at or
    # after the kill; and every interval from the killed one on was polled.
    demo = topology.shell_json(DEMO_FILTER_ID)
    slots = Counter(slot_of(demo, INTERVAL, t) for t in upstream_call_times(redis_url))
    record(
        "worker_kill",
        interval_s=INTERVAL,
        killed_after_call_s=round(killed_at - started, 2),
        next_call_after_killed_call_s=round(next_call - started, 2),
        screen_update_after_kill_s=round(update.at - killed_at, 2),
        most_calls_in_one_interval=max(slots.values()),
        intervals_polled=len(slots),
    )
    assert max(slots.values()) == 1, f"two calls in one interval: {slots}"
    killed_slot = slot_of(demo, INTERVAL, started)
    assert set(range(killed_slot, max(slots) + 1)) <= set(slots)
    # Every interval after the kill was polled and shown, in order.
    seqs = [r.message["seq"] for r in later]
    assert seqs == sorted(set(seqs)) and len(seqs) >= 2
    assert all(r.message["status"] == "ok" for r in later)
    assert survivor.alive and topology.web.alive and topology.beats[0].alive
