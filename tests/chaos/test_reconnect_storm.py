"""1,000 screens dropped at once by a restart of the web server (issue 7, fault 6).

The screens are Python clients with the page's reconnect rule (chaos_support.
ReconnectingScreen, the rule of static/wallboard/connection.js): exponential backoff
from 1 s to 30 s with full jitter, reset once a message arrives. The web server is
stopped (SIGTERM: uvicorn closes every socket) and started again on the same port, as a
deploy does. Every screen must be back, with a fresh snapshot, within 35 s, and the
jitter must spread the returns so that the server takes them without refusing any.
"""

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.chaos_support import (
    ReconnectingScreen,
    Topology,
    busiest,
    logged_errors,
    raise_open_files_limit,
    record,
    start_topology,
)
from tests.conftest import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

SCREENS = 1000
BACK_WITHIN = 35.0
RAMP = 10.0  # the screens first open over this many seconds, as TVs switched on in a morning


@pytest.fixture
def topology(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    assert raise_open_files_limit() >= 4 * SCREENS  # the server and the clients, inherited
    redis_server.fresh()
    running = start_topology(
        tmp_path_factory.mktemp("reconnect-storm"), redis_url=redis_server.url, interval=5
    )
    yield running
    running.discard()


def failed_attempts(screen: ReconnectingScreen, since: float) -> int:
    """Attempts from `since` on that got no snapshot before the screen tried again."""
    tries = [*screen.attempts, float("inf")]
    return sum(
        1
        for start, end in itertools.pairwise(tries)
        if start >= since and not any(start <= t < end for t in screen.snapshots)
    )


async def opened_later(screen: ReconnectingScreen, delay: float) -> None:
    await asyncio.sleep(delay)
    await screen.run()


async def test_a_thousand_screens_come_back_after_a_restart(topology: Topology) -> None:
    seeds = random.Random(1)
    screens = [
        ReconnectingScreen(
            topology.socket_url(), topology.base_url, rng=random.Random(seeds.random())
        )
        for _ in range(SCREENS)
    ]
    tasks = [
        asyncio.create_task(opened_later(s, n * RAMP / SCREENS)) for n, s in enumerate(screens)
    ]
    try:
        deadline = time.monotonic() + RAMP + 30
        while not all(s.snapshots for s in screens):
            assert time.monotonic() < deadline, "the screens did not all open"
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)

        dropped = time.time()
        await asyncio.to_thread(topology.restart_web)
        serving = time.time()
        back: dict[int, float] = {}
        while time.time() - dropped < BACK_WITHIN + 10 and len(back) < SCREENS:
            for n, screen in enumerate(screens):
                if n not in back:
                    again = [t for t in screen.snapshots if t > dropped]
                    if again:
                        back[n] = again[0] - dropped
            await asyncio.sleep(0.2)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    tries = sorted(t for s in screens for t in s.attempts if t > dropped)
    per_second = Counter(int(t - dropped) for t in tries if t >= serving)
    returns = [dropped + t for t in back.values()]
    refused_while_serving = sum(failed_attempts(s, since=serving) for s in screens)
    times = sorted(back.values())
    record(
        "reconnect_storm",
        screens=SCREENS,
        restart_seconds=round(serving - dropped, 1),
        all_back_after_s=round(times[-1], 1) if len(times) == SCREENS else None,
        p50_back_after_s=round(times[len(times) // 2], 1),
        p95_back_after_s=round(times[int(len(times) * 0.95)], 1),
        reconnect_attempts=len(tries),
        peak_attempts_per_second_once_serving=max(per_second.values()),
        busiest_100ms_of_returns=busiest(returns, 0.1),
        attempts_refused_once_serving=refused_while_serving,
    )
    assert len(back) == SCREENS, f"{SCREENS - len(back)} screens not back"
    assert times[-1] <= BACK_WITHIN
    # The jitter spread the returns (in step, every screen would come back in the same
    # instant), and the server took every one of them once it was up.
    assert busiest(returns, 0.1) <= SCREENS / 4
    assert refused_while_serving == 0
    for web in (s for s in topology.stack.services if s.script == "web"):
        assert logged_errors(web) == [], web.name
    assert all(s.refused is None for s in screens)
