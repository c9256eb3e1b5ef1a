"""/metrics: what Prometheus reads, parsed by Prometheus's own parser; counters that agree with
the simulated centre when polling fails; open sockets and fan-out latency; who may read it."""

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient, Client
from prometheus_client.parser import text_string_to_metric_families
from pytest_django.fixtures import Settings

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import QueueFilter
from connectmetrics.poller.polling import poll_source
from connectmetrics.simulator import set_faults
from connectmetrics.wire.message_builder import iso
from dashboard import fanout, fanout_metrics
from dashboard.asgi import application
from dashboard.lib import clock
from dashboard.models import DisplayToken, Wallboard
from dashboard.push import apublish_update
from tests.conftest import SAME_ORIGIN_HEADERS
from tests.simulated_centre import demo_filter, simulated_instance, upstream_calls

pytest_plugins = ["tests.polling_support"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def no_screens(queue_filter_id: int, text: str) -> None:
    """Nothing is watching: these tests read /metrics."""


def parse(text: str) -> Samples:
    """Every sample by (name, labels), as Prometheus reads the text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(**headers: Any) -> Samples:
    response = Client().get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.content.decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name, frozenset(labels.items())]


@pytest.fixture
def queue_filter(redis_mode: str, db: None) -> QueueFilter:
    return demo_filter(simulated_instance())


GET = "GetCurrentMetricData"
CENTRE = {"connect_instance": "Simulated centre"}
FILTER = {**CENTRE, "queue_filter": "All queues"}


def test_good_polls_are_counted_per_instance_and_filter(
    queue_filter: QueueFilter, redis_mode: str
) -> None:
    for _ in range(2):
        poll_source(queue_filter.source_key, publish=no_screens)
    samples = scrape()
    assert value(samples, "connect_wallboard_telemetry_available") == 1
    assert value(samples, "connect_wallboard_polls_total", **FILTER, result="ok") == 2
    assert value(samples, "connect_wallboard_polls_total", **FILTER, result="failed") == 0
    calls = value(
        samples,
        "connect_wallboard_upstream_calls_total",
        **CENTRE,
        operation="GetCurrentMetricData",
    )
    assert calls == 2 == upstream_calls(redis_mode)
    assert value(samples, "connect_wallboard_upstream_throttles_total", **CENTRE) == 0
    for outcome in ("throttled", "access_denied", "not_found", "invalid_request", "unavailable"):
        assert value(samples, "connect_wallboard_poll_errors_total", **CENTRE, outcome=outcome) == 0
    assert 0 <= value(samples, "connect_wallboard_last_good_poll_age_seconds", **FILTER) < 5


@pytest.mark.parametrize(
    ("fault", "outcome", "throttles"),
    [("throttle", "throttled", 3), ("access_denied", "access_denied", 0)],
)
def test_failing_polls_show_as_errors_and_throttles(
    queue_filter: QueueFilter, redis_mode: str, fault: str, outcome: str, throttles: int
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, **{fault: True})
    poll_source(queue_filter.source_key, publish=no_screens)
    samples = scrape()
    assert value(samples, "connect_wallboard_poll_errors_total", **CENTRE, outcome=outcome) == 1
    assert value(samples, "connect_wallboard_polls_total", **FILTER, result="failed") == 1
    assert value(samples, "connect_wallboard_upstream_throttles_total", **CENTRE) == throttles
    calls = value(
        samples,
        "connect_wallboard_upstream_calls_total",
        **CENTRE,
        operation="GetCurrentMetricData",
    )
    assert calls == upstream_calls(redis_mode)
    # Never polled well: no age to report, rather than a made-up one.
    assert ("connect_wallboard_last_good_poll_age_seconds", frozenset(FILTER.items())) not in (
        samples
    )


def test_label_values_are_escaped(queue_filter: QueueFilter) -> None:
    QueueFilter.objects.update(name='Sales "VIP"\\ queues')
    poll_source(queue_filter.source_key, publish=no_screens)
    samples = scrape()
    assert (
        value(
            samples,
            "connect_wallboard_polls_total",
            **CENTRE,
            queue_filter='Sales "VIP"\\ queues',
            result="ok",
        )
        == 1
    )


def test_redis_gone_still_answers_with_this_process_figures(
    queue_filter: QueueFilter, settings: Settings
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    samples = scrape()
    assert value(samples, "connect_wallboard_telemetry_available") == 0
    assert value(samples, "connect_wallboard_open_sockets") == 0


@pytest.mark.django_db
def test_only_monitoring_may_read_it(settings: Settings) -> None:
    elsewhere = {"REMOTE_ADDR": "10.1.2.3"}
    assert Client().get("/metrics", **elsewhere).status_code == 403
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.0.0.0/8"]
    assert Client().get("/metrics", **elsewhere).status_code == 200
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "a-long-random-scrape-token"
    refused = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **elsewhere)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert Client().get("/metrics").status_code == 401  # not even loopback now
    scrape(HTTP_AUTHORIZATION="Bearer a-long-random-scrape-token", **elsewhere)
    assert Client().post("/metrics").status_code == 405


# --- this process's sockets and fan-out ------------------------------------------


@pytest.fixture
def embedded_sockets(settings: Settings, embedded_mode: None) -> Iterator[None]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
async def hub_closed_after() -> AsyncIterator[None]:
    yield
    await fanout.hub().close()


def tv() -> tuple[int, str]:
    """A wallboard on the simulated centre's filter, and a TV's display token for it."""
    instance = simulated_instance()
    queue_filter = demo_filter(instance)
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    wallboard.add_panel(queue_filter)
    _, raw = DisplayToken.issue(wallboard, "Wall TV")
    return queue_filter.pk, raw


async def open_screen(raw: str) -> WebsocketCommunicator:
    screen = WebsocketCommunicator(
        application,
        f"/ws/wallboards/floor/?token={raw}",
        headers=SAME_ORIGIN_HEADERS,
    )
    connected, _ = await screen.connect()
    assert connected
    for kind in ("wallboard", "snapshot", "alerts"):
        assert json.loads(await screen.receive_from(timeout=3))["type"] == kind
    return screen


async def ascrape() -> Samples:
    response = await AsyncClient().get("/metrics")
    assert response.status_code == 200
    return parse(response.content.decode())


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_are_this_process_sockets(
    embedded_sockets: None, hub_closed_after: None
) -> None:
    _, raw = await database_sync_to_async(tv)()
    assert value(await ascrape(), "connect_wallboard_open_sockets") == 0
    screens = [await open_screen(raw) for _ in range(3)]
    assert value(await ascrape(), "connect_wallboard_open_sockets") == 3
    await screens[0].disconnect()
    assert value(await ascrape(), "connect_wallboard_open_sockets") == 2
    for screen in screens[1:]:
        await screen.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_fanout_latency_is_measured_from_published_at(
    embedded_sockets: None, hub_closed_after: None
) -> None:
    queue_filter_id, raw = await database_sync_to_async(tv)()
    latency = "connect_wallboard_fanout_latency_seconds"
    # The histogram is the process's: other tests' updates may be in it already.
    before = await ascrape()
    screen = await open_screen(raw)
    try:
        published = clock.moment() - timedelta(milliseconds=300)
        update = {"type": "update", "seq": 1, "base": 0, "published_at": iso(published)}
        await apublish_update(queue_filter_id, json.dumps(update, separators=(",", ":")))
        assert json.loads(await screen.receive_from(timeout=3))["seq"] == 1
        after = await ascrape()
    finally:
        await screen.disconnect()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew(f"{latency}_count") == 1
    assert grew(f"{latency}_bucket", le="0.25") == 0
    assert grew(f"{latency}_bucket", le="0.5") == 1
    assert 0.3 <= grew(f"{latency}_sum") < 0.5


def test_latency_reads_the_message_own_published_at() -> None:
    histogram = fanout_metrics.Histogram(fanout_metrics.LATENCY_BUCKETS)
    text = json.dumps(
        {
            "type": "update",
            "reason": '"published_at":"2000-01-01T00:00:00.000Z"',  # a trap in a string
            "published_at": "2026-11-26T08:00:00.000Z",
        },
        separators=(",", ":"),
    )
    now = datetime(2026, 11, 26, 8, 0, 0, 40_000, tzinfo=UTC).timestamp()
    original = fanout_metrics.fanout_latency
    fanout_metrics.fanout_latency = histogram
    try:
        fanout_metrics.observe_dispatch({"type": "snapshot.update", "text": text}, now=now)
        fanout_metrics.observe_dispatch({"type": "heartbeat", "text": text}, now=now)
    finally:
        fanout_metrics.fanout_latency = original
    state = histogram.state()
    assert state.count == 1 and state.total == pytest.approx(0.04)
    assert dict(state.cumulative)[0.025] == 0 and dict(state.cumulative)[0.05] == 1
