"""End to end: real web, Celery worker and Celery beat processes on a private Redis, and a
real WebSocket client on a wallboard, as `make dev` runs them."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from connectmetrics.wire import socket_messages
from connectmetrics.wire.socket_messages import Update
from tests.conftest import RedisServer
from tests.processes import Service, Stack, seed_demo
from tests.simulated_centre import upstream_calls
from tests.socket_rule import apply_update

pytestmark = pytest.mark.e2e

INTERVAL = 1  # seconds between polls of the demo filter in these tests
MORE_FILTERS = 20


@dataclass
class Running:
    stack: Stack
    web: Service
    token: str
    redis_url: str

    def socket_url(self, slug: str = "demo") -> str:
        return self.web.ws_url(f"/ws/wallboards/{slug}/?token={self.token}")


@pytest.fixture(scope="module")
def running(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Running]:
    redis_server.fresh()
    stack = Stack(tmp_path_factory.mktemp("e2e"), redis_url=redis_server.url)
    token = seed_demo(stack, interval=INTERVAL)
    services = [stack.start(script) for script in ("worker", "beat", "web")]
    try:
        for service in services:
            service.wait_ready()
        yield Running(stack, services[-1], token, redis_server.url)
    finally:
        stack.stop_all()


@asynccontextmanager
async def wallboard_socket(running: Running) -> AsyncIterator[ClientConnection]:
    async with connect(running.socket_url(), origin=running.web.url) as socket:  # type: ignore[arg-type]
        yield socket


async def next_of_type(socket: ClientConnection, kind: str, within: float) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind:
                return message


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def age_seconds(message: dict[str, Any]) -> float:
    return (datetime.now(UTC) - parse_time(message["data_snapshot_time"])).total_seconds()


async def test_a_screen_gets_consecutive_fresh_updates(running: Running) -> None:
    async with wallboard_socket(running) as socket:
        snapshot = await next_of_type(socket, "snapshot", within=5)
        first = await next_of_type(socket, "update", within=INTERVAL + 5)
        first_age = age_seconds(first)
        second = await next_of_type(socket, "update", within=INTERVAL + 2)
        second_age = age_seconds(second)
    assert snapshot["seq"] < first["seq"] < second["seq"]
    assert second["seq"] == first["seq"] + 1 and second["base"] == first["seq"]
    state = socket_messages.decode_snapshot(json.dumps(snapshot))
    for update, age in ((first, first_age), (second, second_age)):
        assert update["status"] == "ok"
        decoded = socket_messages.decode(json.dumps(update))
        assert isinstance(decoded, Update)
        state = apply_update(state, decoded)
        assert len(state.rows) == 20
        assert age <= INTERVAL + 1, f"data {age:.2f} s old on arrival"


async def calls_per_update(running: Running, sockets: int, updates: int) -> tuple[int, float]:
    """Upstream calls and seconds between the first and the last of `updates` consecutive
    updates, while `sockets` screens are open on the wallboard."""
    async with AsyncExitStack() as opened:
        screens = [
            await opened.enter_async_context(wallboard_socket(running)) for _ in range(sockets)
        ]
        watched = screens[0]
        start = await next_of_type(watched, "update", within=INTERVAL + 5)
        calls_at_start, started = upstream_calls(running.redis_url), time.monotonic()
        end = start
        while end["seq"] < start["seq"] + updates:
            end = await next_of_type(watched, "update", within=INTERVAL + 5)
        calls, elapsed = (
            upstream_calls(running.redis_url) - calls_at_start,
            time.monotonic() - started,
        )
        # Every other screen got the same last update.
        for screen in screens[1:]:
            latest = await next_of_type(screen, "update", within=INTERVAL + 5)
            while latest["seq"] < end["seq"]:
                latest = await next_of_type(screen, "update", within=INTERVAL + 5)
            assert latest["seq"] == end["seq"]
    assert end["seq"] == start["seq"] + updates  # none missed
    return calls, elapsed


async def test_fifty_screens_cost_the_same_upstream_calls_as_one(running: Running) -> None:
    one = await calls_per_update(running, sockets=1, updates=2)
    fifty = await calls_per_update(running, sockets=50, updates=2)
    assert one[0] == fifty[0] == 2  # one call per interval, whoever watches
    for _, elapsed in (one, fifty):
        assert elapsed == pytest.approx(2 * INTERVAL, abs=1.0)


def test_workers_together_never_exceed_the_accounts_quota(running: Running) -> None:
    # Twenty more filters every second on the same account: four times its quota.
    running.stack.manage(
        "shell",
        "-c",
        "from connectmetrics.models import ConnectInstance, QueueFilter\n"
        "base = QueueFilter.objects.get(name='All queues')\n"
        f"for n in range({MORE_FILTERS}):\n"
        "    f = QueueFilter.objects.create(name=f'Load {n}', instance=base.instance,"
        " channels=base.channels, metrics=base.metrics)\n"
        "    f.queues.set(base.queues.all())\n"
        "ConnectInstance.objects.update(poll_interval=1)\n",
    )
    before, started = upstream_calls(running.redis_url), time.monotonic()
    samples = []
    while time.monotonic() - started < 3:
        time.sleep(0.25)
        samples.append((time.monotonic() - started, upstream_calls(running.redis_url) - before))
    for elapsed, calls in samples:
        assert calls <= 8 + 5 * elapsed, f"{calls} calls in {elapsed:.2f} s"
    elapsed, calls = samples[-1]
    assert calls >= 5 * elapsed - 5  # the quota is spent, not wasted
    assert running.web.alive
