"""The poll lock: one poll of a queue filter at a time, and never stuck after a killed worker."""

import time
from collections.abc import Callable

import pytest
import redis

from connectmetrics.poller.locks import LocalPollLock, PollLock, RedisPollLock
from connectmetrics.sources.key import SourceKey

LockFactory = Callable[[], PollLock]
SALES, SUPPORT = SourceKey("queue_filter", 7), SourceKey("queue_filter", 8)
# Another kind's source with the same ID is another lock.
AGENTS = SourceKey("agents", 7)


@pytest.fixture(params=["redis", "local"])
def make_lock(request: pytest.FixtureRequest) -> LockFactory:
    """Each call is one process's view of the lock (Redis: a fresh client, as another worker)."""
    if request.param == "local":
        shared = LocalPollLock()
        return lambda: shared
    url = request.getfixturevalue("redis_url")
    return lambda: RedisPollLock(redis.Redis.from_url(url))


def test_a_second_poll_of_the_same_filter_cannot_start(make_lock: LockFactory) -> None:
    worker_a, worker_b = make_lock(), make_lock()
    token = worker_a.acquire(SALES, ttl=10)
    assert token is not None
    assert worker_b.acquire(SALES, ttl=10) is None
    assert worker_b.acquire(SUPPORT, ttl=10) is not None  # another filter is not blocked
    assert worker_b.acquire(AGENTS, ttl=10) is not None  # nor another kind's source
    assert worker_a.release(SALES, token)
    assert worker_b.acquire(SALES, ttl=10) is not None


def test_only_the_holder_can_release(make_lock: LockFactory) -> None:
    worker_a, worker_b = make_lock(), make_lock()
    token = worker_a.acquire(SALES, ttl=10)
    assert token is not None
    assert not worker_b.release(SALES, "not-the-token")
    assert worker_b.acquire(SALES, ttl=10) is None


def test_the_lock_of_a_killed_worker_expires(make_lock: LockFactory) -> None:
    killed, next_worker = make_lock(), make_lock()
    assert killed.acquire(SALES, ttl=0.2) is not None  # then SIGKILL: no release ever runs
    assert next_worker.acquire(SALES, ttl=10) is None
    time.sleep(0.3)
    assert next_worker.acquire(SALES, ttl=10) is not None


def test_a_poll_that_outlived_its_lock_does_not_free_the_next_polls_lock(
    make_lock: LockFactory,
) -> None:
    slow, next_worker, third = make_lock(), make_lock(), make_lock()
    slow_token = slow.acquire(SALES, ttl=0.1)
    assert slow_token is not None
    time.sleep(0.2)
    assert next_worker.acquire(SALES, ttl=10) is not None
    assert not slow.release(SALES, slow_token)
    assert third.acquire(SALES, ttl=10) is None


def test_a_poll_waiting_for_its_turn_keeps_its_lock(make_lock: LockFactory) -> None:
    waiting, other = make_lock(), make_lock()
    token = waiting.acquire(SALES, ttl=0.2)
    assert token is not None
    assert waiting.extend(SALES, token, ttl=10)
    time.sleep(0.3)
    assert other.acquire(SALES, ttl=10) is None
    assert not other.extend(SALES, "not-the-token", ttl=10)
    assert waiting.release(SALES, token)
