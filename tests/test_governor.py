"""The rate governor: the account's 5 calls per second, burst 8, never exceeded."""

import threading
import time
from collections.abc import Callable

import pytest
import redis

from connectmetrics import governor as governor_module
from connectmetrics.governor import Governor, LocalGovernor, RedisGovernor

RATE, BURST = 5, 8
GovernorFactory = Callable[[], Governor]


@pytest.fixture(params=["redis", "local"])
def make_governor(request: pytest.FixtureRequest) -> GovernorFactory:
    """Each call is one worker's governor; in Redis they share the buckets."""
    if request.param == "local":
        shared = LocalGovernor(RATE, BURST)
        return lambda: shared
    url = request.getfixturevalue("redis_url")
    return lambda: RedisGovernor(redis.Redis.from_url(url), RATE, BURST)


def test_a_burst_gets_eight_calls_at_once_and_the_rest_one_turn_each_after(
    make_governor: GovernorFactory,
) -> None:
    workers = [make_governor() for _ in range(4)]
    turns = [workers[i % 4].reserve("111122223333:eu-west-2") for i in range(12)]
    assert turns[:8] == [0.0] * 8
    assert turns[8:] == pytest.approx([0.2, 0.4, 0.6, 0.8], abs=0.03)


def test_each_account_and_region_has_its_own_bucket(make_governor: GovernorFactory) -> None:
    governor = make_governor()
    for _ in range(BURST):
        assert governor.reserve("111122223333:eu-west-2") == 0
    assert governor.reserve("111122223333:eu-west-2") > 0
    assert governor.reserve("111122223333:us-east-1") == 0
    assert governor.reserve("444455556666:eu-west-2") == 0


def test_callers_that_wait_their_turn_never_exceed_five_per_second(
    make_governor: GovernorFactory,
) -> None:
    sent: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()

    def worker() -> None:
        governor = make_governor()
        while time.monotonic() - started < 1.5:
            time.sleep(governor.reserve("acct:eu-west-2"))
            with lock:
                sent.append(time.monotonic() - started)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # In every window from the start: at most the burst plus the rate.
    for count, moment in enumerate(sorted(sent), start=1):
        assert count <= BURST + RATE * moment + 0.5, f"{count} calls by {moment:.2f} s"
    assert len(sent) >= BURST + RATE * 1.5 - 1  # and the quota is used, not wasted


def test_the_redis_bucket_refills_by_the_redis_clock_not_the_workers(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker whose clock is stuck: a bucket timed by the caller would never refill.
    class StuckClock:
        @staticmethod
        def time() -> float:
            return 1_000_000.0

        monotonic = time

    monkeypatch.setattr(governor_module, "time", StuckClock)
    governor = RedisGovernor(redis.Redis.from_url(redis_url), RATE, BURST)
    for _ in range(BURST):
        assert governor.reserve("acct:eu-west-2") == 0
    assert governor.reserve("acct:eu-west-2") == pytest.approx(0.2, abs=0.03)
    time.sleep(0.5)  # the debt of one token is paid, and one more token is there
    assert governor.reserve("acct:eu-west-2") == 0
