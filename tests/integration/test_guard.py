"""The failed-token limiter: an address guessing tokens is locked out for a growing period."""

import logging
import time
from typing import Any

import pytest
import redis
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.lib.guard import (
    API_DOOR,
    LocalTokenGuard,
    RedisTokenGuard,
    Rule,
    address_key,
    refusal_reason,
    request_address,
    scope_address,
    token_guard,
    wallboard_door,
)
from dashboard.models import DisplayToken, Wallboard
from tests.conftest import free_port
from tests.modes import use_embedded, use_redis
from tests.simulated_centre import demo_filter, simulated_instance

ATTACKER = "203.0.113.7"
NEIGHBOUR = "203.0.113.8"
DOOR = wallboard_door(1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def local(clock: Clock) -> LocalTokenGuard:
    return LocalTokenGuard(clock=clock)


def guess(limiter: Any, times: int, address: str = ATTACKER, door: str = DOOR) -> list[float]:
    return [limiter.failed(address, door) for _ in range(times)]


def test_nine_wrong_tokens_in_a_minute_are_not_slowed_the_tenth_locks_out(
    local: LocalTokenGuard, clock: Clock
) -> None:
    assert guess(local, 9) == [0.0] * 9
    assert local.wait(ATTACKER, DOOR) == 0.0
    assert local.failed(ATTACKER, DOOR) == 60.0
    clock.now += 10
    assert local.wait(ATTACKER, DOOR) == pytest.approx(50.0)
    assert local.wait(NEIGHBOUR, DOOR) == 0.0  # another address is not affected


def test_the_lockout_ends_and_each_one_in_a_row_doubles_up_to_an_hour(
    local: LocalTokenGuard, clock: Clock
) -> None:
    lockouts = []
    for _ in range(8):
        lockouts.append(guess(local, 10)[-1])
        clock.now += lockouts[-1] + 0.001
        assert local.wait(ATTACKER, DOOR) == 0.0
    assert lockouts == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_lockouts_in_a_row_are_forgotten_after_a_day(local: LocalTokenGuard, clock: Clock) -> None:
    assert guess(local, 10)[-1] == 60
    clock.now += 60.001
    assert guess(local, 10)[-1] == 120
    clock.now += 86_400 + 121
    assert guess(local, 10)[-1] == 60


def test_wrong_tokens_spread_over_more_than_a_minute_are_not_slowed(
    local: LocalTokenGuard, clock: Clock
) -> None:
    for _ in range(30):
        assert local.failed(ATTACKER, DOOR) == 0.0
        clock.now += 7  # 9 guesses a minute: a mistyped URL retried, not a script
    assert local.wait(ATTACKER, DOOR) == 0.0


def test_guesses_while_locked_out_do_not_lengthen_the_lockout(
    local: LocalTokenGuard, clock: Clock
) -> None:
    guess(local, 10)
    clock.now += 30
    assert guess(local, 50) == [30.0] * 50
    clock.now += 30.001
    assert local.wait(ATTACKER, DOOR) == 0.0


def test_each_door_counts_its_own_wrong_tokens(local: LocalTokenGuard) -> None:
    assert guess(local, 10)[-1] == 60.0
    assert local.wait(ATTACKER, DOOR) > 0
    # Another wallboard, and the metrics endpoint, are still open to that address.
    assert local.wait(ATTACKER, wallboard_door(2)) == 0.0
    assert guess(local, 9, door=wallboard_door(2)) == [0.0] * 9
    assert guess(local, 9, door=API_DOOR) == [0.0] * 9


def test_an_address_with_valid_tokens_gets_the_higher_bar_for_a_day(
    local: LocalTokenGuard, clock: Clock
) -> None:
    local.succeeded(ATTACKER)  # an office whose TVs work
    assert guess(local, 99) == [0.0] * 99  # a stale link reloading, within one minute
    assert local.failed(ATTACKER, DOOR) == 60.0  # the 100th: a script, even there
    assert guess(local, 10, address=NEIGHBOUR)[-1] == 60.0  # no valid token: the usual bar
    clock.now += 86_400 + 61
    assert guess(local, 10)[-1] == 60.0  # the trust has lapsed


def test_the_local_guard_forgets_the_least_recent_address_beyond_its_bound(clock: Clock) -> None:
    limiter = LocalTokenGuard(clock=clock, max_addresses=100)
    guess(limiter, 10)
    for n in range(100):
        limiter.failed(f"198.51.100.{n}", DOOR)
    assert limiter.tracked == 100
    assert limiter.wait(ATTACKER, DOOR) == 0.0  # the oldest entry went first


def test_a_lockout_is_logged_once(local: LocalTokenGuard, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dashboard.lib.guard"):
        guess(local, 20)
    assert [r.getMessage() for r in caplog.records] == [
        f"token guard: {ATTACKER} locked out of {DOOR} for 60 s after wrong tokens"
    ]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # the same /64: one subscriber
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("", "unknown"),
        ("/run/uvicorn.sock", "/run/uvicorn.sock"),
    ],
)
def test_addresses_are_counted_by_host_ipv6_by_its_slash_64(address: str | None, key: str) -> None:
    assert address_key(address) == key


def test_the_address_comes_from_the_socket_scope_or_the_request() -> None:
    assert scope_address({"client": ("203.0.113.7", 51234)}) == ATTACKER
    assert scope_address({"client": None}) == "unknown"
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8::5")
    assert request_address(request) == "2001:db8::/64"


def test_the_refusal_says_when_to_try_again() -> None:
    assert refusal_reason(59.2) == (
        "Too many wrong tokens from this address; try again in 60 seconds"
    )
    assert refusal_reason(0.01).endswith("in 1 seconds")


SHORT = Rule(failures=3, window=2.0, lockout=0.4, lockout_cap=0.8, memory=30.0)


def test_redis_guard_locks_out_for_every_web_process(redis_url: str) -> None:
    first = RedisTokenGuard(redis.Redis.from_url(redis_url), SHORT)
    second = RedisTokenGuard(redis.Redis.from_url(redis_url), SHORT)  # another web process
    assert first.failed(ATTACKER, DOOR) == 0.0
    assert second.failed(ATTACKER, DOOR) == 0.0
    assert first.failed(ATTACKER, DOOR) == pytest.approx(0.4)
    assert 0.2 < second.wait(ATTACKER, DOOR) <= 0.4
    assert second.wait(NEIGHBOUR, DOOR) == 0.0
    assert second.failed(ATTACKER, DOOR) == pytest.approx(second.wait(ATTACKER, DOOR), abs=0.05)
    time.sleep(0.45)
    assert first.wait(ATTACKER, DOOR) == 0.0
    assert guess(second, 3)[-1] == pytest.approx(0.8)  # the second lockout in a row: doubled
    time.sleep(0.85)
    assert guess(first, 3)[-1] == pytest.approx(0.8)  # capped


def test_redis_guard_counts_per_door_with_the_higher_bar_for_trusted_addresses(
    redis_url: str,
) -> None:
    rule = Rule(failures=3, trusted_failures=6, window=5.0, lockout=5.0)
    first = RedisTokenGuard(redis.Redis.from_url(redis_url), rule)
    second = RedisTokenGuard(redis.Redis.from_url(redis_url), rule)  # another web process
    office, door = "198.51.100.40", wallboard_door(40)
    assert guess(first, 3, address=ATTACKER, door=door)[-1] == 5.0
    assert second.wait(ATTACKER, wallboard_door(41)) == 0.0
    second.succeeded(office)
    assert guess(first, 5, address=office, door=door) == [0.0] * 5
    assert first.failed(office, door) == 5.0


def test_redis_guard_window_starts_at_the_first_failure(redis_url: str) -> None:
    limiter = RedisTokenGuard(
        redis.Redis.from_url(redis_url), Rule(failures=3, window=0.3, lockout=5)
    )
    guess(limiter, 2)
    time.sleep(0.35)
    assert guess(limiter, 2) == [0.0, 0.0]  # a new window: two failures in it so far
    assert limiter.wait(ATTACKER, DOOR) == 0.0


def test_redis_guard_fails_open_when_redis_is_down(caplog: pytest.LogCaptureFixture) -> None:
    down = redis.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    limiter = RedisTokenGuard(down, SHORT)
    with caplog.at_level(logging.WARNING, logger="dashboard.lib.guard"):
        assert guess(limiter, 5) == [0.0] * 5
        assert limiter.wait(ATTACKER, DOOR) == 0.0
    assert "cannot reach Redis" in caplog.text


def test_the_guard_follows_the_mode(settings: Settings, redis_url: str) -> None:
    use_embedded(settings)
    assert isinstance(token_guard(), LocalTokenGuard)
    assert token_guard() is token_guard()
    use_redis(settings, redis_url)
    assert isinstance(token_guard(), RedisTokenGuard)


@pytest.mark.django_db
def test_the_tv_page_slows_down_repeated_wrong_tokens(client: Client) -> None:
    wallboard = Wallboard.objects.create(slug="floor", title="Floor")
    wallboard.add_panel(demo_filter(simulated_instance()))
    _, good = DisplayToken.issue(wallboard, "Floor TV")
    answers = [client.get(f"/wallboards/floor/tv/?token=guess-{n}").status_code for n in range(11)]
    assert answers[:10] == [403] * 10
    locked = client.get(f"/wallboards/floor/tv/?token={good}")
    assert (locked.status_code, answers[10]) == (429, 429)
    assert int(locked["Retry-After"]) > 0
