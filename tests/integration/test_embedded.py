"""Embedded mode: the same polls on the same schedule inside the web process, no Redis."""

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings
from websockets.asyncio.client import connect

from connectmetrics.poller import screens
from connectmetrics.poller.embedded import EmbeddedPoller
from connectmetrics.poller.readings import readings_store
from dashboard.lifespan import lifespan_app
from tests.processes import Stack, seed_demo
from tests.simulated_centre import demo_filter, simulated_instance

pytest_plugins = ["tests.polling_support"]


class Published:
    """A screen publisher that records what the poller publishes, and on which thread."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.threads: set[int] = set()

    def publish(self, queue_filter_id: int, text: str) -> None:
        raise AssertionError("embedded mode publishes on the event loop")

    async def apublish(self, queue_filter_id: int, text: str) -> None:
        self.threads.add(threading.get_ident())
        self.updates.append(json.loads(text))


@pytest.fixture
def published() -> Iterator[Published]:
    recorder = Published()
    plugged_in = screens.publisher()
    screens.plug_in(recorder)
    yield recorder
    screens.plug_in(plugged_in)


@pytest.mark.django_db(transaction=True)
async def test_the_poller_polls_on_schedule_and_publishes_from_the_event_loop(
    embedded_mode: None, published: Published
) -> None:
    queue_filter = await asyncio.to_thread(lambda: demo_filter(simulated_instance(poll_interval=1)))
    poller = EmbeddedPoller(tick=0.25)
    poller.start()
    await asyncio.sleep(2.2)
    await poller.stop()
    seqs = [u["seq"] for u in published.updates]
    assert 2 <= len(seqs) <= 3  # one poll per 1-second interval
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert published.threads == {threading.get_ident()}  # the in-memory layer's own thread
    snapshot = json.loads(readings_store().latest_text(queue_filter.source_key))
    assert snapshot["seq"] == seqs[-1] and snapshot["status"] == "ok"


@pytest.mark.django_db(transaction=True)
async def test_a_stopped_poller_polls_no_more(embedded_mode: None, published: Published) -> None:
    await asyncio.to_thread(lambda: demo_filter(simulated_instance(poll_interval=1)))
    poller = EmbeddedPoller(tick=0.25)
    poller.start()
    await asyncio.sleep(0.5)
    await poller.stop()
    count = len(published.updates)
    assert count >= 1
    await asyncio.sleep(1.2)
    assert len(published.updates) == count


class Lifespan:
    """An ASGI server's side of the lifespan protocol."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.sent: list[str] = []

    async def receive(self) -> dict[str, str]:
        return await self.inbox.get()

    async def send(self, message: dict[str, str]) -> None:
        self.sent.append(message["type"])


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_lifespan_starts_and_stops_the_poller_when_settings_say_so(
    enabled: bool, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EMBEDDED_POLLER = enabled
    events: list[str] = []
    monkeypatch.setattr(EmbeddedPoller, "start", lambda self: events.append("start"))

    async def stop(self: EmbeddedPoller) -> None:
        events.append("stop")

    monkeypatch.setattr(EmbeddedPoller, "stop", stop)
    server = Lifespan()
    app = asyncio.create_task(lifespan_app({"type": "lifespan"}, server.receive, server.send))
    await server.inbox.put({"type": "lifespan.startup"})
    await server.inbox.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(app, timeout=5)
    assert server.sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == (["start", "stop"] if enabled else [])


@pytest.mark.e2e
async def test_one_web_process_alone_serves_live_numbers(tmp_path: Any) -> None:
    """What `make demo` runs: bin/web with no REDIS_URL, seeded by seed_demo."""
    stack = Stack(tmp_path, redis_url=None)
    token = await asyncio.to_thread(seed_demo, stack, interval=1)
    web = await asyncio.to_thread(stack.start_web)
    try:
        url = web.ws_url(f"/ws/wallboards/demo/?token={token}")
        async with connect(url, origin=web.url) as socket:  # type: ignore[arg-type]
            kinds: list[str] = []
            seqs: list[int] = []
            async with asyncio.timeout(10):
                while len(seqs) < 3:
                    message = json.loads(await socket.recv())
                    kinds.append(message["type"])
                    if message["type"] in ("snapshot", "update"):
                        seqs.append(message["seq"])
        assert kinds[:2] == ["wallboard", "snapshot"]
        assert seqs[1] < seqs[2] and kinds[-1] == "update"
    finally:
        await asyncio.to_thread(web.stop)
    assert "embedded poller stopped" in web.logs()
