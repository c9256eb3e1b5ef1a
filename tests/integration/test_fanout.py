"""The fan-out inside a web process: one channel-layer subscription per group, and slow
screens that neither grow the server's memory nor delay the others."""

import asyncio
import base64
import json
import os
import re
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from connectmetrics.poller.readings import RedisReadingsStore
from dashboard import fanout
from dashboard.asgi import application
from dashboard.consumers import KINDS
from dashboard.lib.shared_state import RedisConnections
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update, publish_update, queue_filter_group
from tests.conftest import SAME_ORIGIN_HEADERS, RedisServer
from tests.modes import use_redis
from tests.processes import Stack

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def update_text(seq: int, base: int | None = None) -> str:
    """An update applying to `base` (default: the one before it)."""
    return json.dumps({"type": "update", "seq": seq, "base": seq - 1 if base is None else base})


def snapshot_text(seq: int) -> str:
    return json.dumps({"type": "snapshot", "seq": seq})


class Screen:
    """A socket as the fan-out sees it, writing through an outbox; `stall()` makes its
    writes wait, as a client that stopped reading makes them. It starts from the
    snapshot with seq 0, and when it misses an update it takes the store's latest
    snapshot, as the consumer does (the store has the update's seq)."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.outbox = fanout.Outbox(self._send, self._close, KINDS)
        self.outbox.put_snapshot(0, snapshot_text(0))
        self.outbox.release()
        self.closed_with: int | None = None

    def stall(self) -> None:
        self.flowing.clear()

    def deliver(self, envelope: fanout.Envelope) -> None:
        if not self.outbox.put_update(envelope["seq"], envelope["base"], envelope["text"]):
            self.outbox.put_snapshot(envelope["seq"], snapshot_text(envelope["seq"]))

    async def _send(self, text: str) -> None:
        await self.flowing.wait()
        self.received.append(text)

    async def _close(self, code: int, reason: str) -> None:
        self.closed_with = code


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


# --- one socket's outbox ---------------------------------------------------------


def deliver_updates(screen: Screen, seqs: range) -> None:
    for seq in seqs:
        screen.deliver({"seq": seq, "base": seq - 1, "text": update_text(seq)})


def in_step(received: list[str], seq: int | None = None) -> bool:
    """Whether every update a screen received applies to the message before it (the
    first to `seq`)."""
    for text in received:
        message = json.loads(text)
        if message["type"] == "update" and message["base"] != seq:
            return False
        seq = message["seq"]
    return True


async def test_a_stalled_socket_holds_one_message_and_is_never_left_with_a_gap() -> None:
    screen = Screen()
    await settle()
    screen.stall()

    deliver_updates(screen, range(1, 1001))
    await settle()

    # Update 1 is being written; what waits is a fresh snapshot and at most the one
    # update after it: never an update on top of one it replaced.
    assert screen.outbox.pending("snapshot") == snapshot_text(999)
    assert screen.outbox.pending("update") == update_text(1000)
    screen.flowing.set()
    await settle()
    assert screen.received == [
        snapshot_text(0),
        update_text(1),
        snapshot_text(999),
        update_text(1000),
    ]
    assert screen.outbox.idle
    # Once it reads again, updates follow the snapshot it got.
    deliver_updates(screen, range(1001, 1003))
    await settle()
    assert screen.received[-2:] == [update_text(1001), update_text(1002)]
    assert in_step(screen.received)


async def test_a_slow_socket_gets_a_fresh_snapshot_rather_than_a_replaced_update() -> None:
    screen = Screen()
    await settle()
    screen.stall()
    deliver_updates(screen, range(1, 3))  # 1 is being written, 2 waits
    assert screen.outbox.pending("update") == update_text(2)

    deliver_updates(screen, range(3, 4))  # replacing 2 would lose what 2 changed
    screen.flowing.set()
    await settle()

    assert screen.received == [snapshot_text(0), update_text(1), snapshot_text(3)]


async def test_an_update_that_does_not_follow_brings_a_snapshot() -> None:
    screen = Screen()
    deliver_updates(screen, range(1, 2))
    # A poll's update that was never published (it lost a race with a newer poll).
    screen.deliver({"seq": 3, "base": 2, "text": update_text(3)})
    await settle()
    assert screen.received == [snapshot_text(0), update_text(1), snapshot_text(3)]


async def test_an_outbox_writes_settings_then_the_snapshot_then_an_update_that_follows_it() -> None:
    screen = Screen()
    await settle()
    screen.received.clear()
    screen.outbox.hold()
    screen.outbox.await_snapshot()

    # Updates while the socket waits for its snapshot: the one that applies to it follows it.
    assert screen.outbox.put_update(5, 4, update_text(5))
    assert screen.outbox.put_update(6, 5, update_text(6))
    screen.outbox.put("wallboard", "settings")
    screen.outbox.put_snapshot(5, snapshot_text(5))
    await settle()
    assert screen.received == []
    screen.outbox.release()
    await settle()

    assert screen.received == ["settings", snapshot_text(5), update_text(6)]


async def test_closing_drops_what_is_unsent_writes_the_last_words_and_closes() -> None:
    screen = Screen()
    await settle()
    screen.stall()
    deliver_updates(screen, range(1, 3))

    screen.outbox.close(4003, "revoked", last="revoked message")
    deliver_updates(screen, range(3, 4))
    screen.flowing.set()
    await settle()

    assert screen.received == [snapshot_text(0), update_text(1), "revoked message"]
    assert screen.closed_with == 4003


# --- the process's hub ------------------------------------------------------------


@pytest.fixture
def in_memory_layer(settings: Any) -> Iterator[None]:
    settings.CHANNEL_LAYERS = IN_MEMORY
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
async def hub(in_memory_layer: None) -> AsyncIterator[fanout.Hub]:
    yield fanout.hub()
    await fanout.hub().close()


async def test_a_stalled_socket_never_delays_the_others(hub: fanout.Hub) -> None:
    screens = [Screen() for _ in range(200)]
    for screen in screens:
        await hub.join(queue_filter_group(3), screen)
    stalled = screens[0]
    stalled.stall()

    for seq in range(1, 51):
        await apublish_update(3, update_text(seq))
        await settle()
        assert all(screen.received[-1] == update_text(seq) for screen in screens[1:])

    assert stalled.received == [snapshot_text(0)]
    assert stalled.outbox.pending("snapshot") == snapshot_text(49)
    assert stalled.outbox.pending("update") == update_text(50)


async def test_sockets_that_need_the_same_snapshot_at_once_read_it_once(
    hub: fanout.Hub,
) -> None:
    reads = 0
    release = asyncio.Event()

    async def read() -> str:
        nonlocal reads
        reads += 1
        await release.wait()
        return snapshot_text(7)

    waiting = [asyncio.create_task(hub.shared_read("queue-filter.3", read)) for _ in range(100)]
    await settle()
    release.set()
    assert await asyncio.gather(*waiting) == [snapshot_text(7)] * 100
    assert reads == 1
    # Once done, the next ask reads afresh.
    assert await hub.shared_read("queue-filter.3", read) == snapshot_text(7) and reads == 2


async def test_the_process_joins_each_group_once_however_many_sockets_follow_it(
    hub: fanout.Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    joined: list[str] = []
    group_add = hub.layer.group_add

    async def counting_group_add(group: str, channel: str) -> None:
        joined.append(group)
        await group_add(group, channel)

    monkeypatch.setattr(hub.layer, "group_add", counting_group_add)

    await asyncio.gather(*(hub.join(queue_filter_group(1), Screen()) for _ in range(100)))
    await asyncio.gather(*(hub.join(queue_filter_group(2), Screen()) for _ in range(100)))

    assert sorted(joined) == [queue_filter_group(1), queue_filter_group(2)]
    assert hub.members(queue_filter_group(1)) == 100


async def test_a_group_nobody_follows_any_more_is_left(
    hub: fanout.Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "REJOIN_SECONDS", 0.05)
    screen = Screen()
    await hub.join(queue_filter_group(1), screen)
    assert hub.subscriptions == {queue_filter_group(1)}

    hub.leave(queue_filter_group(1), screen)
    await asyncio.sleep(0.2)

    assert hub.subscriptions == frozenset()
    await apublish_update(1, update_text(1))
    await settle()
    assert screen.received == [snapshot_text(0)]  # what it had, nothing since


# --- on real Redis, with the project's channel layer ---------------------------------


@pytest.fixture
def redis_mode(settings: Any, redis_url: str) -> Iterator[str]:
    """The full topology's settings: the project's channel layer and store on Redis."""
    use_redis(settings, redis_url)
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": settings.REDIS_CHANNEL_LAYER, "CONFIG": {"hosts": [redis_url]}}
    }
    channel_layers.backends.clear()
    yield redis_url
    channel_layers.backends.clear()


@pytest.fixture
def tv_path(transactional_db: None) -> str:
    instance = ConnectInstance.objects.create(
        name="Simulated", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )
    queue_filter = QueueFilter.objects.create(name="Sales queues", instance=instance)
    wallboard = Wallboard.objects.create(slug="sales", title="Sales")
    wallboard.add_panel(queue_filter)
    _, raw = DisplayToken.issue(wallboard, "Floor 2 TV")
    return f"/ws/wallboards/sales/?token={raw}"


async def open_screen(path: str) -> WebsocketCommunicator:
    screen = WebsocketCommunicator(application, path, headers=SAME_ORIGIN_HEADERS)
    connected, _ = await screen.connect()
    assert connected
    for expected in ("wallboard", "snapshot", "alerts"):
        assert json.loads(await screen.receive_from(timeout=5))["type"] == expected
    return screen


@pytest.mark.django_db(transaction=True)
async def test_on_redis_fifty_screens_share_one_subscription_and_all_get_each_update(
    redis_mode: str, tv_path: str
) -> None:
    queue_filter_id = await QueueFilter.objects.values_list("pk", flat=True).aget()
    screens = [await open_screen(tv_path) for _ in range(50)]
    client = redis.Redis.from_url(redis_mode)
    group_channel = f"asgi__group__{queue_filter_group(queue_filter_id)}"

    assert client.pubsub_numsub(group_channel) == [(group_channel.encode(), 1)]
    text = json.dumps({"type": "update", "queue_filter": queue_filter_id, "seq": 1, "base": 0})
    # As a Celery worker publishes: synchronously, outside the event loop.
    await asyncio.to_thread(publish_update, queue_filter_id, text)
    assert [await s.receive_from(timeout=5) for s in screens] == [text] * 50

    for screen in screens:
        await screen.disconnect()
    await fanout.hub().close()


@pytest.mark.django_db(transaction=True)
async def test_on_redis_updates_resume_after_redis_restarts(
    redis_mode: str, tv_path: str, redis_server: RedisServer
) -> None:
    queue_filter_id = await QueueFilter.objects.values_list("pk", flat=True).aget()
    screen = await open_screen(tv_path)

    await asyncio.to_thread(redis_server.stop)
    await asyncio.to_thread(redis_server.start)

    text = json.dumps({"type": "update", "queue_filter": queue_filter_id, "seq": 1, "base": 0})
    received = None
    for _ in range(20):
        await apublish_update(queue_filter_id, text)
        if not await screen.receive_nothing(timeout=0.5):
            received = await screen.receive_from()
            break
    assert received == text
    await screen.disconnect()
    await fanout.hub().close()


# --- a real server, a real client that reads nothing ---------------------------------

SETUP = """
from django.core.management import call_command
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from dashboard.models import DisplayToken, Wallboard
call_command("migrate", verbosity=0)
instance = ConnectInstance.objects.create(
    name="Simulated", instance_id="{instance_id}", access_mode=AccessMode.SIMULATED
)
queue_filter = QueueFilter.objects.create(name="Sales", instance=instance, enabled=False)
wallboard = Wallboard.objects.create(slug="sales", title="Sales")
wallboard.add_panel(queue_filter)
print("token", DisplayToken.issue(wallboard, "TV")[1], "queue_filter", queue_filter.pk)
"""

BIG_UPDATES = 500
BIG_UPDATE_BYTES = 64 * 1024


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found is not None
    return int(found[1]) / 1024


async def drain(connection: ClientConnection, last_seq: int) -> list[str]:
    """The snapshots and updates a client receives until one with `last_seq` arrives
    (each message within 10 s)."""
    received: list[str] = []
    while not received or json.loads(received[-1])["seq"] != last_seq:
        message = await asyncio.wait_for(connection.recv(), 10)
        if isinstance(message, str) and json.loads(message)["type"] in ("snapshot", "update"):
            received.append(message)
    return received


@pytest.mark.e2e
async def test_a_client_that_reads_nothing_bounds_server_memory_and_delays_no_one(
    tmp_path: Path, redis_mode: str, settings: Any
) -> None:
    stack = Stack(tmp_path, redis_url=redis_mode)
    found = re.search(
        r"token (\S+) queue_filter (\d+)",
        stack.shell(SETUP.format(instance_id=SIMULATED_INSTANCE_ID)),
    )
    assert found is not None
    raw, queue_filter_id = found[1], int(found[2])
    web = stack.start_web()
    url = web.ws_url(f"/ws/wallboards/sales/?token={raw}")
    origin = Origin(web.url)
    try:
        # A small receive buffer, as on a thin link (and no autotuning to 32 MB on loopback).
        thin = socket.socket()
        thin.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        thin.connect(("127.0.0.1", web.port or 0))
        async with (
            connect(url, origin=origin, sock=thin) as stalled,
            connect(url, origin=origin) as reader,
        ):
            for connection in (stalled, reader):
                for _ in ("wallboard", "snapshot", "alerts"):
                    await connection.recv()
            before = rss_mb(web.process.pid)
            # Incompressible, so that permessage-deflate cannot shrink it.
            padding = base64.b64encode(os.urandom(BIG_UPDATE_BYTES * 3 // 4)).decode()
            store = RedisReadingsStore(RedisConnections(redis_mode))
            reading = asyncio.create_task(drain(reader, BIG_UPDATES))
            for seq in range(1, BIG_UPDATES + 1):
                message = {"queue_filter": queue_filter_id, "seq": seq, "p": padding}
                # As the poller does: the snapshot kept, then the update published.
                snapshot = json.dumps({"type": "snapshot", **message})
                await asyncio.to_thread(
                    store.save,
                    QueueFilter.source_key_of(queue_filter_id),
                    seq=seq,
                    snapshot_text=snapshot,
                    good=None,
                )
                update = json.dumps({"type": "update", **message, "base": seq - 1})
                await apublish_update(queue_filter_id, update)
            read_by_reader = await reading
            grown = rss_mb(web.process.pid) - before

            read_by_stalled = await drain(stalled, BIG_UPDATES)
    finally:
        await fanout.hub().close()
        stack.stop_all()

    published_mb = BIG_UPDATES * BIG_UPDATE_BYTES / 2**20
    assert grown < published_mb / 3, f"server grew {grown:.1f} MB for {published_mb:.0f} MB"
    # The reader kept up: every update, in step.
    assert [json.loads(text)["type"] for text in read_by_reader] == ["update"] * BIG_UPDATES
    # The stalled client got what its buffers held, then a fresh snapshot, never a gap.
    assert len(read_by_stalled) < BIG_UPDATES
    assert "snapshot" in {json.loads(text)["type"] for text in read_by_stalled}
    assert in_step(read_by_stalled, 0)
