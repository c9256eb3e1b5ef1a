"""Fuzzing (issue 7, point 9): hostile frames against a real server, and the admin forms the
other fuzz tests do not cover.

The socket only sends, so any frame a client sends must close that socket (1003; 1009
over the server's size limit, bin/web's --ws-max-size) and nothing else: a screen watching
throughout keeps getting its updates, and a new screen is served after every example.
Raw junk after the handshake and instead of it goes through uvicorn's protocol handling,
not the consumer's.

Covered elsewhere: the same frames against the consumer in process
(tests/integration/sockets/test_client_frames.py), the endpoint's body
(tests/integration/test_api_fuzz.py: no 5xx for any body, path or token) and the instance
and queue-filter admin forms (tests/integration/test_admin.py).
Added here: the endpoint's body sent to the real server, and the wallboard, display-token
and API-token admin forms.
"""

import asyncio
import itertools
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as connect_sync
from websockets.typing import Origin

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from connectmetrics.simulator import CONTROL_URL_ENV
from dashboard.models import Wallboard
from tests.chaos_support import (
    Topology,
    logged_errors,
    record,
    request,
    socket_outcome,
    start_topology,
)

ROOT = Path(__file__).resolve().parents[2]
# The largest message the server takes (bin/web: uvicorn --ws-max-size).
_MAX_SIZE = re.search(r"--ws-max-size (\d+)", (ROOT / "bin" / "web").read_text())
assert _MAX_SIZE is not None, "bin/web sets no --ws-max-size"
MAX_MESSAGE = int(_MAX_SIZE.group(1))
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- frames against the real server -----------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    running = start_topology(tmp_path_factory.mktemp("fuzz"), redis_url=None, interval=1)
    yield running
    running.discard()


class Bystander(threading.Thread):
    """A screen that watches the wallboard throughout, noting when each message came."""

    def __init__(self, url: str, origin: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.origin = origin
        self.arrivals: list[float] = []
        self.connected = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        with connect_sync(self.url, origin=Origin(self.origin), max_size=None) as socket:
            self.connected.set()
            while not self.stopping.is_set():
                try:
                    socket.recv(timeout=0.2)
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    return
                self.arrivals.append(time.monotonic())

    def longest_silence(self, since: float) -> float:
        times = [since, *(t for t in self.arrivals if t > since), time.monotonic()]
        return max(b - a for a, b in itertools.pairwise(times))


@pytest.fixture(scope="module")
def bystander(site: Topology) -> Iterator[Bystander]:
    watcher = Bystander(site.socket_url(), site.base_url)
    watcher.start()
    assert watcher.connected.wait(5), "the watching screen could not connect"
    yield watcher
    watcher.stopping.set()
    watcher.join(5)


async def frame_outcome(site: Topology, frame: str | bytes | list[str] | list[bytes]) -> int | None:
    """Open a screen, send `frame` (a list: one message in fragments), and the close code."""
    async with connect(site.socket_url(), origin=Origin(site.base_url), max_size=None) as socket:
        async with asyncio.timeout(5):
            while json.loads(await socket.recv())["type"] != "snapshot":
                pass
            await socket.send(frame)
            with pytest.raises(ConnectionClosed):
                while True:
                    await socket.recv()
        return socket.close_code


async def still_serving(site: Topology) -> None:
    served = await socket_outcome(site.socket_url(), site.base_url, within=5)
    assert served.kinds[:2] == ["wallboard", "snapshot"]


text = st.text(max_size=300)
# JSON that is almost a GetCurrentMetricData request: its keys, with any values.
json_text = st.dictionaries(
    st.sampled_from(["Filters", "Groupings", "CurrentMetrics", "SortCriteria", "MaxResults", "x"]),
    st.none() | st.integers() | st.text(max_size=20) | st.lists(st.text(max_size=10), max_size=3),
    max_size=5,
).map(lambda body: json.dumps(body).encode())
frames = st.one_of(
    text,
    st.binary(max_size=300),
    st.lists(text, min_size=1, max_size=4),  # fragmented
    st.lists(st.binary(max_size=100), min_size=1, max_size=4),
    st.integers(min_value=MAX_MESSAGE // 2, max_value=4 * MAX_MESSAGE).map(lambda n: "{" * n),
    st.integers(min_value=MAX_MESSAGE // 2, max_value=4 * MAX_MESSAGE).map(os.urandom),
)


def message_size(frame: str | bytes | list[Any]) -> int:
    parts = frame if isinstance(frame, list) else [frame]
    return sum(len(p.encode() if isinstance(p, str) else p) for p in parts)


@pytest.mark.e2e
@FUZZ
@given(frame=frames)
def test_any_frame_closes_only_its_own_socket(
    site: Topology, bystander: Bystander, frame: str | bytes | list[Any]
) -> None:
    async def scenario() -> None:
        too_big = message_size(frame) > MAX_MESSAGE
        assert await frame_outcome(site, frame) == (1009 if too_big else 1003)
        await still_serving(site)

    asyncio.run(scenario())


@pytest.mark.e2e
def test_a_frame_over_the_size_limit_is_refused_by_the_server(site: Topology) -> None:
    async def scenario() -> None:
        assert await frame_outcome(site, b"\0" * (MAX_MESSAGE + 1)) == 1009
        await still_serving(site)

    asyncio.run(scenario())


def handshake(site: Topology) -> bytes:
    path = site.socket_url().split(f":{site.port}", 1)[1]
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {site.base_url}\r\n\r\n"
    ).encode()


async def raw_exchange(site: Topology, opening: bytes, junk: bytes) -> bytes:
    """Send `opening` (a handshake, or not), then `junk`; what the server answered before
    it closed the connection or went quiet (junk may be the start of a frame it waits
    to see the rest of)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", site.port)
    answer = b""
    try:
        writer.write(opening + junk)
        await writer.drain()
        while True:
            async with asyncio.timeout(0.15):
                chunk = await reader.read(65536)
            if not chunk:
                break
            answer += chunk
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()
    return answer


@pytest.mark.e2e
@FUZZ
@given(junk=st.binary(min_size=1, max_size=2048))
def test_junk_after_the_handshake_never_breaks_the_server(
    site: Topology, bystander: Bystander, junk: bytes
) -> None:
    async def scenario() -> None:
        answer = await raw_exchange(site, handshake(site), junk)
        assert answer.startswith(b"HTTP/1.1 101 ")
        await still_serving(site)

    asyncio.run(scenario())


@pytest.mark.e2e
@FUZZ
@given(junk=st.binary(min_size=1, max_size=2048))
def test_junk_instead_of_a_handshake_never_breaks_the_server(
    site: Topology, bystander: Bystander, junk: bytes
) -> None:
    async def scenario() -> None:
        answer = await raw_exchange(site, b"", junk)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
        await still_serving(site)

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def api_token(site: Topology) -> str:
    return site.stack.manage("api_token", "Fuzzer").stdout.strip()


@pytest.mark.e2e
@FUZZ
@given(
    body=st.binary(max_size=2048) | json_text,
    content_type=st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"]),
)
def test_any_body_sent_to_the_real_endpoint_gets_the_envelope_never_a_5xx(
    site: Topology, bystander: Bystander, api_token: str, body: bytes, content_type: str
) -> None:
    answer = request(
        f"{site.base_url}/metrics/current/{SIMULATED_INSTANCE_ID}",
        method="POST",
        body=body,
        headers={"Authorization": f"Bearer {api_token}", "Content-Type": content_type},
    )
    assert answer.status < 500, answer.body[:200]
    assert answer.json()["success"] is (answer.status == 200)


@pytest.mark.e2e
def test_the_watching_screen_was_never_left_waiting(site: Topology, bystander: Bystander) -> None:
    """Runs after the fuzz tests above (file order): the screen that watched throughout."""
    record(
        "fuzz",
        examples_per_property=FUZZ.max_examples,
        watching_screen_messages=len(bystander.arrivals),
        watching_screen_longest_silence_s=round(
            bystander.longest_silence(bystander.arrivals[0]), 2
        ),
        errors_logged=len(logged_errors(site.web)),
    )
    assert bystander.is_alive(), "the watching screen was closed"
    assert len(bystander.arrivals) >= 5
    assert bystander.longest_silence(bystander.arrivals[0]) < 3.0  # updates every second
    assert logged_errors(site.web) == []
    assert site.web.alive


# --- admin forms no other test fuzzes -----------------------------------------------------


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "", "a-long-password-1"))
    return client


@pytest.fixture
def queue_filter(db: None, monkeypatch: pytest.MonkeyPatch) -> QueueFilter:
    monkeypatch.delenv(CONTROL_URL_ENV, raising=False)  # the simulated centre in process
    instance = ConnectInstance.objects.create(
        name="Fuzzed centre",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
    )
    discover(instance)
    queue_filter = QueueFilter.objects.create(
        name="All", instance=instance, channels=["VOICE"], metrics=["AGENTS_ONLINE"]
    )
    queue_filter.queues.set(instance.queues.all()[:3])
    return queue_filter


form_text = st.text(max_size=40) | st.sampled_from(["", "0", "-1", "1e309", "x" * 300, "\0"])
choices = st.lists(form_text | st.sampled_from(["1", "AGENTS_ONLINE", "CONTACTS_IN_QUEUE"]))


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "title": form_text,
            "slug": form_text,
            "panels-TOTAL_FORMS": st.sampled_from(["0", "1", "2", "x", ""]),
            "panels-INITIAL_FORMS": st.sampled_from(["0", "1", "x"]),
            "panels-0-id": form_text,
            "panels-0-position": form_text | st.just("0"),
            "panels-0-title": form_text,
            "panels-0-queue_filter": form_text | st.just("1"),
            "panels-0-columns": choices,
            "panels-0-layout": form_text | st.sampled_from(["table", "tiles"]),
            "panels-1-queue_filter": form_text | st.just("1"),
            "panels-1-columns": choices,
            "theme": form_text | st.sampled_from(["dark", "light"]),
            "ticker": form_text,
            "sound_on_critical": form_text,
            "rotation": choices,
            "rotation_seconds": form_text,
            "viewers": choices,
            "viewer_groups": choices,
            "display_tokens-TOTAL_FORMS": st.sampled_from(["0", "1", "x", ""]),
            "display_tokens-INITIAL_FORMS": st.sampled_from(["0", "x"]),
            "display_tokens-0-label": form_text,
        },
    )
)
def test_no_input_gives_a_500_on_the_wallboard_form(
    admin_client: Client, queue_filter: QueueFilter, data: dict[str, Any]
) -> None:
    added = admin_client.post(reverse("admin:dashboard_wallboard_add"), data)
    assert added.status_code in (200, 302)
    board = Wallboard.objects.first()
    if board is None:
        board = Wallboard.objects.create(slug="kept", title="Kept")
        board.add_panel(queue_filter, columns=["AGENTS_ONLINE"])
    changed = admin_client.post(reverse("admin:dashboard_wallboard_change", args=[board.pk]), data)
    assert changed.status_code in (200, 302)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {}, optional={"wallboard": form_text | st.just("1"), "label": form_text}
    )
)
def test_no_input_gives_a_500_on_the_display_token_form(
    admin_client: Client, queue_filter: QueueFilter, data: dict[str, Any]
) -> None:
    board, made = Wallboard.objects.get_or_create(slug="board", defaults={"title": "Board"})
    if made:
        board.add_panel(queue_filter)
    response = admin_client.post(reverse("admin:dashboard_displaytoken_add"), data)
    assert response.status_code in (200, 302)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={"name": form_text, "all_instances": form_text, "instances": choices},
    )
)
def test_no_input_gives_a_500_on_the_api_token_form(
    admin_client: Client, queue_filter: QueueFilter, data: dict[str, Any]
) -> None:
    response = admin_client.post(reverse("admin:connectmetrics_apitoken_add"), data)
    assert response.status_code in (200, 302)
