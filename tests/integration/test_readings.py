"""The readings store: a screen always gets a snapshot at once, numbered, never older than kept."""

import json
import time
from collections.abc import Callable

import msgspec
import pytest
import redis

from connectmetrics.poller.readings import LocalReadingsStore, ReadingsStore, RedisReadingsStore
from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.trends import TREND_BUCKET_MS
from connectmetrics.wire.message_builder import WAITING_REASON, failed_body
from dashboard.lib.shared_state import RedisConnections

StoreFactory = Callable[[], ReadingsStore]
SOURCE = SourceKey("queue_filter", 3)


@pytest.fixture(params=["redis", "local"])
def make_store(request: pytest.FixtureRequest, settings: object) -> StoreFactory:
    """Each call is one process's view of the store (Redis: another process's client)."""
    if request.param == "local":
        shared = LocalReadingsStore()
        return lambda: shared
    url = request.getfixturevalue("redis_url")
    return lambda: RedisReadingsStore(RedisConnections(url))


def test_a_screen_gets_a_waiting_snapshot_before_the_first_poll(make_store: StoreFactory) -> None:
    snapshot = json.loads(make_store().latest_text(SOURCE))
    assert snapshot["type"] == "snapshot"
    assert (snapshot["queue_filter"], snapshot["seq"], snapshot["rows"]) == (3, 0, [])
    assert (snapshot["status"], snapshot["reason"]) == ("stale", WAITING_REASON)
    assert snapshot["published_at"].endswith("Z")
    assert snapshot["data_snapshot_time"] is None


async def test_the_socket_side_reads_the_same_text_without_blocking(
    make_store: StoreFactory,
) -> None:
    store = make_store()
    assert json.loads(await store.alatest_text(SOURCE))["seq"] == 0
    store.save(SOURCE, seq=1, snapshot_text='{"seq": 1}', good=None)
    assert await make_store().alatest_text(SOURCE) == '{"seq": 1}'


def test_seq_strictly_increases_across_processes(make_store: StoreFactory) -> None:
    worker_a, worker_b = make_store(), make_store()
    first = worker_a.next_seq(SOURCE)
    assert [worker_b.next_seq(SOURCE), worker_a.next_seq(SOURCE)] == [first + 1, first + 2]
    assert first >= 1 and worker_b.next_seq(SourceKey("queue_filter", 4)) >= 1


def test_seq_keeps_going_up_after_a_restart_of_embedded_mode() -> None:
    last = LocalReadingsStore().next_seq(SOURCE)
    time.sleep(0.01)  # a restart takes far longer; polls are at least a second apart
    assert LocalReadingsStore().next_seq(SOURCE) > last


def test_seq_keeps_going_up_after_redis_lost_its_data(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisReadingsStore(RedisConnections(redis_url))
    last = max(store.next_seq(SOURCE) for _ in range(3))
    client.flushall()  # restarted without persistence, as in docker-compose
    time.sleep(0.01)
    assert RedisReadingsStore(RedisConnections(redis_url)).next_seq(SOURCE) > last


def good_body(reason: str) -> str:
    """A body as its kind encodes it for the store."""
    body = failed_body(
        None, reason=reason, metrics=["AGENTS_ONLINE"], groupings=[], poll_interval=5
    )
    return msgspec.json.encode(body).decode()


def test_an_older_snapshot_never_replaces_a_newer_one(make_store: StoreFactory) -> None:
    store = make_store()
    assert store.save(SOURCE, seq=5, snapshot_text="five", good=good_body("five"))
    assert not make_store().save(SOURCE, seq=4, snapshot_text="four", good=good_body("four"))
    assert store.latest_text(SOURCE) == "five"
    assert store.last_good(SOURCE) == good_body("five")


def test_the_last_good_numbers_outlive_failed_polls(make_store: StoreFactory) -> None:
    store = make_store()
    store.save(SOURCE, seq=1, snapshot_text="good", good=good_body("sales"))
    store.save(SOURCE, seq=2, snapshot_text="stale", good=None)
    assert make_store().last_good(SOURCE) == good_body("sales")
    assert store.latest_text(SOURCE) == "stale"


def test_trend_history_is_bounded_to_sixty_minutes(make_store: StoreFactory) -> None:
    store = make_store()
    start = 1_764_144_000_000
    for step in range(300):  # 75 minutes of polls, two per bucket
        bucket = start + (step // 2) * TREND_BUCKET_MS
        store.add_trend_points(SOURCE, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (bucket, step)}})
    series = make_store().trends(SOURCE)["QUEUE=a"]["CONTACTS_IN_QUEUE"]
    assert len(series) == 120
    assert series[-1] == [start + 149 * TREND_BUCKET_MS, 299]
    assert series[-1][0] - series[0][0] < 60 * 60 * 1000


def test_points_older_than_the_history_are_refused(make_store: StoreFactory) -> None:
    store = make_store()
    newer, older = 1_764_144_030_000, 1_764_144_000_000
    assert store.add_trend_points(SOURCE, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (newer, 2)}})
    assert store.add_trend_points(SOURCE, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (older, 9)}}) is None
    assert store.trends(SOURCE) == {"QUEUE=a": {"CONTACTS_IN_QUEUE": [[newer, 2]]}}
