"""Amazon Connect throttling half the time for a minute (issue 7, fault 1).

"Half the time": every second the test flips a (seeded) coin and the simulated account
throttles every call, or none, until the next flip. So a poll's first attempt and
botocore's two retries each have about even odds, and a poll fails when all are throttled:
the mix real throttling gives. (The simulator's own `throttle=0.5` means "every second
call", which always lets botocore's first retry through: no poll would ever fail.) Nine
queue filters of one account poll every 2 s, each shown on a wallboard: 4.5 polls a
second before retries, against a quota of 5 a second with a burst of 8, so the governor
is busy all along.

What users must see: no process falls over; the account never gets more than its quota,
retries included (its own token bucket, replayed on the calls as they arrived at the
simulator, never refuses one); after a failed poll the filter rests as
connectmetrics/poller/backoff.py says; the screens keep the last good numbers, marked stale with
the reason, and every "ok" is fresh; after the storm they are fresh again within the
interval plus whatever rest the last failures left.
"""

import asyncio
import random
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest

from connectmetrics.client.outcomes import Outcome
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.poller.backoff import rest_seconds
from connectmetrics.simulator import set_faults
from tests.chaos_support import (
    Received,
    Screen,
    Topology,
    busiest,
    data_time,
    logged_errors,
    quota_breaches,
    record,
    refused_by_the_account,
    start_topology,
    upstream_call_times,
)
from tests.conftest import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

INTERVAL = 2
STORM = 60.0
FLIP_EVERY = 1.0
TEAMS = 8  # queue filters besides the demo's, each on a wallboard of its own
SLACK = 1.5  # a poll starts up to a beat tick plus a task pickup after its slot opens

TEAM_BOARDS = f"""
import json
from connectmetrics.models import QueueFilter
from dashboard.models import DisplayToken, Wallboard
base = QueueFilter.objects.get(name="All queues")
demo = Wallboard.objects.get(slug="demo")
tokens = {{}}
for n in range({TEAMS}):
    team = QueueFilter.objects.create(
        name=f"Team {{n}}", instance=base.instance, channels=base.channels, metrics=base.metrics,
        primary_grouping="QUEUE")
    team.queues.set(base.queues.all())
    board = Wallboard.objects.create(slug=f"team-{{n}}", title=f"Team {{n}}")
    board.add_panel(team, columns=demo.panels.all()[0].columns)
    tokens[board.slug] = DisplayToken.issue(board, "team TV")[1]
print(json.dumps(tokens))
"""


@pytest.fixture
def topology(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Topology]:
    redis_server.fresh()
    running = start_topology(
        tmp_path_factory.mktemp("throttling"),
        redis_url=redis_server.url,
        interval=INTERVAL,
        workers=2,
    )
    yield running
    running.discard()


async def storm(redis_url: str, seconds: float, seed: int = 7) -> list[tuple[float, bool]]:
    """Throttle every call or none, by a coin flipped every FLIP_EVERY s; the flips."""
    coin = random.Random(seed)
    flips = []
    ends = time.time() + seconds
    while time.time() < ends:
        throttling = coin.random() < 0.5
        set_faults(redis_url, SIMULATED_INSTANCE_ID, throttle=1.0 if throttling else 0.0)
        flips.append((time.time(), throttling))
        await asyncio.sleep(FLIP_EVERY)
    set_faults(redis_url, SIMULATED_INSTANCE_ID)
    return flips


def clock_of(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S")  # the stack's TIME_ZONE


def ok_update(received: Received) -> bool:
    return received.kind == "update" and received.message["status"] == "ok"


def check_what_a_screen_showed(shown: list[Received]) -> int:
    """The screen's rules under throttling (see the module's docstring); its failed polls."""
    last_ok: Received | None = None
    in_a_row = failed = 0
    for n, received in enumerate(shown):
        message = received.message
        if message["status"] == "ok":
            # Never old numbers as live: an "ok" is fresh when it arrives.
            assert received.at - (data_time(message) or 0) < 2.0
            last_ok, in_a_row = received, 0
            continue
        # Stale: the last good numbers, with their own time and why, in words.
        assert last_ok is not None and message["status"] == "stale"
        assert received.state["rows"] == last_ok.state["rows"]
        assert message["data_snapshot_time"] == last_ok.message["data_snapshot_time"]
        assert message["reason"] == (
            "Amazon Connect is throttling requests; showing the numbers from "
            f"{clock_of(data_time(last_ok.message) or 0)}"
        )
        in_a_row += 1
        failed += 1
        # The filter rests after a failure: its next poll no sooner than the table says.
        if n + 1 < len(shown):
            rest = rest_seconds(Outcome.THROTTLED, in_a_row, INTERVAL)
            assert shown[n + 1].at - received.at >= rest - 0.3
    return failed


def rest_left_at(shown: list[Received], ended: float) -> float:
    """Seconds of rest the failures in a row just before `ended` still had then."""
    before = [r for r in shown if r.at <= ended]
    in_a_row = 0
    for received in reversed(before):
        if received.message["status"] == "ok":
            break
        in_a_row += 1
    if not in_a_row:
        return 0.0
    rest = rest_seconds(Outcome.THROTTLED, in_a_row, INTERVAL)
    return max(0.0, before[-1].at + rest - ended)


async def test_a_minute_of_throttling_half_the_time(topology: Topology) -> None:
    redis_url = topology.redis_url
    assert redis_url is not None
    boards: dict[str, Any] = {"demo": topology.tv_token, **topology.shell_json(TEAM_BOARDS)}
    async with AsyncExitStack() as opened:
        screens = {
            slug: await opened.enter_async_context(
                Screen(topology.socket_url(slug, token), topology.base_url)
            )
            for slug, token in boards.items()
        }
        for screen in screens.values():
            await screen.wait_for(ok_update, 15)
        started = time.time()
        flips = await storm(redis_url, STORM)
        ended = time.time()
        fresh_again = {
            slug: await screen.wait_for(lambda r: ok_update(r) and r.at > ended, 60 + INTERVAL)
            for slug, screen in screens.items()
        }
        await asyncio.sleep(INTERVAL)

    throttled = sum(t for _, t in flips) / len(flips)
    assert 0.35 < throttled < 0.65
    # No process fell over or logged an error.
    for service in topology.stack.services:
        assert service.alive, service.name
        assert logged_errors(service) == [], service.name
    # The account never got more than its quota, botocore's retries included.
    calls = [t for t in upstream_call_times(redis_url) if t >= started - 1]
    assert refused_by_the_account(calls) == []
    assert quota_breaches(calls) == []
    assert busiest(calls, 10) >= 5 * 10 * 0.6  # and most of it was used, not wasted

    failed, stale_updates, recoveries = 0, 0, []
    for slug, screen in screens.items():
        shown = [r for r in screen.received if r.kind in ("snapshot", "update")]
        # From its first good numbers on (a new board starts "waiting for the first numbers").
        shown = shown[next(n for n, r in enumerate(shown) if r.message["status"] == "ok") :]
        failed += check_what_a_screen_showed(shown)
        # Fresh again after the storm within an interval plus what the last rest left.
        recovered_in = fresh_again[slug].at - ended
        assert recovered_in <= rest_left_at(shown, ended) + INTERVAL + SLACK, slug
        recoveries.append(recovered_in)
        stale_updates += sum(1 for r in shown if started < r.at <= ended and not ok_update(r))
    assert failed >= 3, "the storm failed too few polls to test the screens' stale path"
    record(
        "throttling",
        storm_seconds=round(ended - started, 1),
        throttled_share=round(throttled, 2),
        calls=len(calls),
        busiest_1s=busiest(calls, 1),
        busiest_10s=busiest(calls, 10),
        refused_by_the_account=0,
        failed_polls_shown=stale_updates,
        fresh_again_after_s=round(max(recoveries), 2),
        errors_logged=0,
    )
