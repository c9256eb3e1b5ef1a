"""The rate governor: each API's quota per account and Region (GetCurrentMetricData's
5 calls per second, burst 8), never exceeded, and no API spending another's."""

import threading
import time
from collections.abc import Callable

import pytest
import redis

from connectmetrics.client import governor as governor_module
from connectmetrics.client.governor import Governor, LocalGovernor, RedisGovernor, governed_burst
from connectmetrics.client.quotas import (
    GET_CURRENT_METRIC_DATA,
    GET_CURRENT_USER_DATA,
    GET_METRIC_DATA_V2,
    QUOTAS,
    quota_of,
)

RATE, BURST = 5, 8
GCMD = GET_CURRENT_METRIC_DATA
GovernorFactory = Callable[[], Governor]


@pytest.fixture(params=["redis", "local"])
def make_governor(request: pytest.FixtureRequest) -> GovernorFactory:
    """Each call is one worker's governor; in Redis they share the buckets."""
    if request.param == "local":
        shared = LocalGovernor()
        return lambda: shared
    url = request.getfixturevalue("redis_url")
    return lambda: RedisGovernor(redis.Redis.from_url(url))


def due_times(reserve: Callable[[int], float], count: int) -> list[float | None]:
    """When each of `count` turns taken one after another is due, in seconds from just
    before the first was taken (None: at once). A due moment, unlike a wait, does not
    shrink by the time the reservations themselves took on a busy machine."""
    started = time.monotonic()
    dues: list[float | None] = []
    for i in range(count):
        wait = reserve(i)
        dues.append(None if wait == 0 else time.monotonic() + wait - started)
    return dues


def test_a_burst_gets_seven_calls_at_once_and_the_rest_one_turn_each_after(
    make_governor: GovernorFactory,
) -> None:
    # The account's burst of 8, less the one token kept back for calls sent late.
    workers = [make_governor() for _ in range(4)]
    dues = due_times(lambda i: workers[i % 4].reserve("111122223333:eu-west-2", GCMD), 11)
    assert dues[:7] == [None] * 7
    assert dues[7:] == pytest.approx([0.2, 0.4, 0.6, 0.8], abs=0.04)


def test_each_account_and_region_has_its_own_bucket(make_governor: GovernorFactory) -> None:
    governor = make_governor()
    for _ in range(BURST - 1):
        assert governor.reserve("111122223333:eu-west-2", GCMD) == 0
    assert governor.reserve("111122223333:eu-west-2", GCMD) > 0
    assert governor.reserve("111122223333:us-east-1", GCMD) == 0
    assert governor.reserve("444455556666:eu-west-2", GCMD) == 0


def test_two_apis_of_one_account_and_region_do_not_share_a_bucket(
    make_governor: GovernorFactory,
) -> None:
    governor = make_governor()
    started = time.monotonic()
    for _ in range(BURST - 1):
        governor.reserve("111122223333:eu-west-2", GCMD)
    assert governor.reserve("111122223333:eu-west-2", GCMD) > 0  # spent
    # Agents and today's numbers still have their whole burst.
    for api in (GET_CURRENT_USER_DATA, GET_METRIC_DATA_V2):
        turns = [
            governor.reserve("111122223333:eu-west-2", api) for _ in range(governed_burst(api))
        ]
        assert turns == [0.0] * governed_burst(api), api
    # ...and spending them took nothing more from GetCurrentMetricData's line: its next
    # turn is the second after the burst, 0.4 s after the first call.
    wait = governor.reserve("111122223333:eu-west-2", GCMD)
    assert time.monotonic() + wait - started == pytest.approx(0.4, abs=0.04)


@pytest.mark.parametrize("api", sorted(QUOTAS))
def test_each_api_gets_its_own_rate_and_burst(make_governor: GovernorFactory, api: str) -> None:
    quota = quota_of(api)
    governor = make_governor()
    burst = governed_burst(api)
    assert burst == quota.burst - 1
    dues = due_times(lambda _: governor.reserve("acct:eu-west-2", api), burst + 3)
    assert dues[:burst] == [None] * burst
    turn = 1 / quota.rate
    assert dues[burst:] == pytest.approx([turn, 2 * turn, 3 * turn], abs=0.04)


def test_an_api_without_a_declared_quota_is_refused_by_name(
    make_governor: GovernorFactory,
) -> None:
    with pytest.raises(KeyError, match="DescribeContact"):
        make_governor().reserve("acct:eu-west-2", "DescribeContact")


def test_callers_that_wait_their_turn_never_exceed_five_per_second(
    make_governor: GovernorFactory,
) -> None:
    sent: list[float] = []
    lock = threading.Lock()
    started = time.monotonic()

    def worker() -> None:
        governor = make_governor()
        while time.monotonic() - started < 1.5:
            time.sleep(governor.reserve("acct:eu-west-2", GCMD))
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
    governor = RedisGovernor(redis.Redis.from_url(redis_url))
    for _ in range(BURST - 1):
        assert governor.reserve("acct:eu-west-2", GCMD) == 0
    assert governor.reserve("acct:eu-west-2", GCMD) == pytest.approx(0.2, abs=0.03)
    time.sleep(0.5)  # the debt of one token is paid, and one more token is there
    assert governor.reserve("acct:eu-west-2", GCMD) == 0
