"""Scaling out, shown: two web processes (as behind a load balancer, no sticky sessions), one
Celery worker and one beat on a private Redis. A screen connected to either web process gets
every update, the very same text, and each process reports its own sockets."""

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import RedisServer
from tests.processes import Service, Stack, seed_demo

pytestmark = pytest.mark.e2e

INTERVAL = 1  # seconds between polls of the demo filter
UPDATES = 5


@dataclass
class TwoWebs:
    stack: Stack
    webs: list[Service]
    token: str

    def socket_url(self, web: Service) -> str:
        return web.ws_url(f"/ws/wallboards/demo/?token={self.token}")


METRICS_TOKEN = "scaling-tests-metrics-token"


@pytest.fixture(scope="module")
def two_webs(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoWebs]:
    redis_server.fresh()
    stack = Stack(
        tmp_path_factory.mktemp("scaling"),
        redis_url=redis_server.url,
        env={"METRICS_TOKEN": METRICS_TOKEN},
    )
    token = seed_demo(stack, interval=INTERVAL)
    services = [stack.start(script) for script in ("worker", "beat", "web", "web")]
    try:
        for service in services:
            service.wait_ready()
        yield TwoWebs(stack, services[2:], token)
    finally:
        stack.stop_all()


async def updates(socket: ClientConnection, count: int) -> list[str]:
    """The texts of the next `count` updates, in arrival order."""
    texts: list[str] = []
    async with asyncio.timeout(count * INTERVAL + 10):
        while len(texts) < count:
            text = await socket.recv()
            assert isinstance(text, str)
            if json.loads(text)["type"] == "update":
                texts.append(text)
    return texts


def seqs(texts: list[str]) -> list[int]:
    return [json.loads(text)["seq"] for text in texts]


async def test_a_screen_on_either_web_process_gets_every_update(two_webs: TwoWebs) -> None:
    first, second = two_webs.webs
    async with (
        connect(two_webs.socket_url(first), origin=first.url) as on_first,  # type: ignore[arg-type]
        connect(two_webs.socket_url(second), origin=second.url) as on_second,  # type: ignore[arg-type]
    ):
        got_first, got_second = await asyncio.gather(
            updates(on_first, UPDATES + 2), updates(on_second, UPDATES + 2)
        )
    # The two sockets opened a moment apart: compare from the first update both saw.
    common = sorted(set(seqs(got_first)) & set(seqs(got_second)))
    assert len(common) >= UPDATES
    start = common[0]
    from_first = [t for t in got_first if json.loads(t)["seq"] >= start][:UPDATES]
    from_second = [t for t in got_second if json.loads(t)["seq"] >= start][:UPDATES]
    assert seqs(from_first) == list(range(start, start + UPDATES))  # none missed, in order
    assert from_first == from_second  # the same text: serialised once, pushed through Redis


def scrape(web: Service) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"{web.url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def health(web: Service) -> dict[str, Any]:
    """/healthz with its details, as the monitoring system with the metrics token asks."""
    request = urllib.request.Request(
        f"{web.url}/healthz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        body: dict[str, Any] = json.loads(response.read())
        return body


async def test_each_web_process_counts_its_own_sockets_and_shares_the_poller_figures(
    two_webs: TwoWebs,
) -> None:
    first, second = two_webs.webs
    async with (
        connect(two_webs.socket_url(first), origin=first.url),  # type: ignore[arg-type]
        connect(two_webs.socket_url(first), origin=first.url),  # type: ignore[arg-type]
        connect(two_webs.socket_url(second), origin=second.url) as last,  # type: ignore[arg-type]
    ):
        await updates(last, 1)
        on_first, on_second = await asyncio.gather(
            asyncio.to_thread(scrape, first), asyncio.to_thread(scrape, second)
        )
    sockets = ("connect_wallboard_open_sockets", frozenset())
    assert (on_first[sockets], on_second[sockets]) == (2, 1)
    good_polls = (
        "connect_wallboard_polls_total",
        frozenset(
            {
                "connect_instance": "Demo contact centre (simulated)",
                "queue_filter": "All queues",
                "result": "ok",
            }.items()
        ),
    )
    # The same shared counter, read a moment apart (a poll a second).
    assert on_first[good_polls] >= 1 and abs(on_first[good_polls] - on_second[good_polls]) <= 1
    for web in two_webs.webs:
        body = health(web)
        assert body["status"] == "ok" and body["broker"]["ok"]
        (polled,) = body["queue_filters"]
        assert polled["last_good_poll_age_seconds"] < 2 * INTERVAL + 1
