"""One poll of a queue filter, against the simulated centre and a real Redis."""

import time
from functools import partial
from typing import Any

import pytest
import redis
from msgspec import UNSET
from pytest_django.fixtures import Settings

import connectmetrics.simulator
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance, QueueFilter
from connectmetrics.poller import polling
from connectmetrics.poller.backoff import backoff_state
from connectmetrics.poller.locks import poll_lock
from connectmetrics.poller.polling import PollResult, Step, poll_source
from connectmetrics.poller.readings import readings_store
from connectmetrics.poller.schedule import slot_of
from connectmetrics.simulator import set_faults
from connectmetrics.sources.key import SourceKey
from connectmetrics.wire import socket_messages
from connectmetrics.wire.socket_messages import Snapshot, Update
from tests.simulated_centre import demo_filter, simulated_instance, upstream_calls
from tests.socket_rule import apply_update

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


class Screens:
    """Stands in for the channel layer: what would have been pushed to the screens,
    each checked against the socket's contract."""

    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.texts: list[str] = []

    def __call__(self, source: SourceKey, text: str) -> None:
        self.texts.append(text)
        message = socket_messages.decode(text)
        assert isinstance(message, Update)
        self.updates.append(message)


def kept_snapshot(source: SourceKey) -> Snapshot:
    return socket_messages.decode_snapshot(readings_store().latest_text(source))


@pytest.fixture
def screens() -> Screens:
    return Screens()


@pytest.fixture
def queue_filter(redis_mode: str) -> QueueFilter:
    return demo_filter(simulated_instance())


def test_a_poll_stores_a_snapshot_and_pushes_the_same_numbers_once(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str
) -> None:
    result = poll_source(queue_filter.source_key, publish=screens)
    assert result.step is Step.OK and result.seq is not None and result.seq > 0
    assert upstream_calls(redis_mode) == 1 == result.calls
    (update,) = screens.updates
    snapshot = kept_snapshot(queue_filter.source_key)
    # The first update follows the placeholder (seq 0, no rows): every row is new.
    assert update.base == 0 and update.rows == snapshot.rows
    assert update.seq == snapshot.seq == result.seq
    assert update.status == "ok" and update.reason == ""
    # Every configured queue is a row, idle ones as zeros, named as in the admin.
    names = set(queue_filter.queues.values_list("name", flat=True))
    assert {row.label for row in snapshot.rows} == names
    assert all(set(row.levels) == {"CONTACTS_IN_QUEUE"} for row in snapshot.rows)
    in_queue = sum(row.values["CONTACTS_IN_QUEUE"] or 0 for row in snapshot.rows)
    assert update.totals.values["CONTACTS_IN_QUEUE"] == in_queue
    assert update.trend_bucket is not None
    assert set(snapshot.trends) == {row.key for row in snapshot.rows}
    queue_filter.refresh_from_db()
    assert queue_filter.last_success_at is not None and queue_filter.last_error_message == ""
    assert ConnectInstance.objects.get().last_success_at == queue_filter.last_success_at


def test_every_poll_gets_the_next_seq(queue_filter: QueueFilter, screens: Screens) -> None:
    for _ in range(3):
        poll_source(queue_filter.source_key, publish=screens)
    first = screens.updates[0].seq
    assert [u.seq for u in screens.updates] == [first, first + 1, first + 2]
    assert [u.base for u in screens.updates[1:]] == [first, first + 1]


def test_one_call_per_slot_whichever_slots_poll_makes_it(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str
) -> None:
    """A poll that reached its call after its own slot ended (a cold or overloaded worker)
    makes the call of the slot it is in, and that slot's own poll then makes none."""
    interval = 3
    if slot_of(queue_filter.pk, interval, time.time() + 1) != slot_of(
        queue_filter.pk, interval, time.time()
    ):
        time.sleep(1)  # both polls within one slot
    slot = slot_of(queue_filter.pk, interval, time.time())
    late = poll_source(queue_filter.source_key, publish=screens, interval=interval)
    assert late.step is Step.OK and upstream_calls(redis_mode) == 1
    own = poll_source(queue_filter.source_key, publish=screens, interval=interval)
    assert own.step is Step.SLOT_TAKEN
    assert upstream_calls(redis_mode) == 1 and len(screens.updates) == 1
    # It freed the lock: the next slot's poll goes.
    while slot_of(queue_filter.pk, interval, time.time()) == slot:
        time.sleep(0.05)
    following = poll_source(queue_filter.source_key, publish=screens, interval=interval)
    assert following.step is Step.OK and upstream_calls(redis_mode) == 2


def test_a_poll_already_running_elsewhere_is_not_doubled(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str
) -> None:
    poll_lock().acquire(queue_filter.source_key, ttl=10)  # another worker's poll
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.BUSY
    assert upstream_calls(redis_mode) == 0 and screens.updates == []


def test_a_poll_that_outlived_its_lock_never_replaces_newer_numbers(
    queue_filter: QueueFilter,
    screens: Screens,
    redis_mode: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_fetch = polling._fetch
    newer: list[PollResult] = []
    fetches = 0

    def slow_fetch(*args: Any) -> Any:
        # Upstream is slow: this poll's lock expires and the next interval's poll runs.
        nonlocal fetches
        fetches += 1
        if fetches == 1:
            redis.Redis.from_url(redis_mode).delete(f"cm:lock:{queue_filter.source_key}")
            newer.append(poll_source(queue_filter.source_key, publish=screens))
        return real_fetch(*args)

    monkeypatch.setattr(polling, "_fetch", slow_fetch)
    older = poll_source(queue_filter.source_key, publish=screens)
    assert newer[0].step is Step.OK and older.step is Step.OK
    assert older.update_text is None  # dropped, not pushed
    assert [u.seq for u in screens.updates] == [newer[0].seq]
    assert kept_snapshot(queue_filter.source_key).seq == newer[0].seq and older.seq is None


def test_over_quota_a_poll_waits_its_turn_holding_its_place(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str, settings: Settings
) -> None:
    settings.CONNECT_RATE_BURST = 1
    settings.CONNECT_RATE_PER_SECOND = 2
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.OK
    deferred = poll_source(queue_filter.source_key, publish=screens)
    assert deferred.step is Step.DEFERRED and deferred.resume_token is not None
    # Its turn is the next token at 2/s: at most half a second away, less the time the
    # first poll took on this (shared, noisy) machine.
    assert deferred.turn_in is not None and 0 < deferred.turn_in <= 0.5
    assert upstream_calls(redis_mode) == 1 and len(screens.updates) == 1  # nothing sent early
    # The next interval's poll finds this one waiting: no second place in the queue.
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.BUSY
    time.sleep(deferred.turn_in)
    resumed = poll_source(
        queue_filter.source_key, publish=screens, resume_token=deferred.resume_token
    )
    assert resumed.step is Step.OK and upstream_calls(redis_mode) == 2


def run_like_workers(
    filters: list[QueueFilter], seconds: float, screens: Screens
) -> dict[SourceKey, int]:
    """Poll every filter again as soon as its last poll ends, resuming deferred polls at
    their turn, as workers under far more demand than the quota would; polls per filter."""
    polled = dict.fromkeys((f.source_key for f in filters), 0)
    queue: list[tuple[float, SourceKey, str | None]] = [(0.0, f.source_key, None) for f in filters]
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        queue.sort(key=lambda item: item[0])
        due, source, token = queue.pop(0)
        time.sleep(max(0.0, due - (time.monotonic() - started)))
        result = poll_source(source, publish=screens, resume_token=token)
        now = time.monotonic() - started
        if result.step is Step.DEFERRED:
            assert result.turn_in is not None
            queue.append((now + result.turn_in, source, result.resume_token))
        else:
            polled[source] += result.step is Step.OK
            queue.append((now, source, None))
    return polled


def test_the_governor_keeps_many_filters_within_the_accounts_quota_and_serves_each_in_turn(
    redis_mode: str, screens: Screens
) -> None:
    instance = simulated_instance(poll_interval=1)
    filters = [demo_filter(instance, name=f"Filter {n}") for n in range(20)]
    started = time.monotonic()
    polled = run_like_workers(filters, 3.0, screens)
    elapsed = time.monotonic() - started
    calls = upstream_calls(redis_mode)
    assert calls <= 8 + 5 * elapsed
    assert calls >= 8 + 5 * 3.0 - 2  # the quota is used, not wasted
    assert min(polled.values()) >= 1  # every filter had its turn: none starved


def test_botocore_retries_wait_for_the_quota_too(redis_mode: str, screens: Screens) -> None:
    instance = simulated_instance(poll_interval=1)
    filters = [demo_filter(instance, name=f"Filter {n}") for n in range(10)]
    # Every other call answers 500, which botocore retries at once (throttles it retries
    # after a second or so): the retries must wait for the quota like any call.
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, internal_error=0.5)
    started = time.monotonic()
    run_like_workers(filters, 1.5, screens)
    elapsed = time.monotonic() - started
    assert upstream_calls(redis_mode) <= 8 + 5 * elapsed


def test_throttling_shows_the_last_good_numbers_as_stale_and_rests_briefly(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str, settings: Settings
) -> None:
    settings.CONNECT_MAX_ATTEMPTS = 1
    poll_source(queue_filter.source_key, publish=screens)
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, throttle=1.0)
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.FAILED
    good, stale = screens.updates
    assert stale.status == "stale"
    assert stale.reason.startswith("Amazon Connect is throttling requests; showing the numbers")
    # The same numbers: no row, order or trend point changes, the same data time.
    assert (stale.rows, stale.changes, stale.order, stale.trend_bucket) == ([], {}, UNSET, None)
    assert stale.data_snapshot_time == good.data_snapshot_time
    assert stale.seq == good.seq + 1 == stale.base + 1
    instance = ConnectInstance.objects.get()
    assert instance.last_error_class == "ThrottlingException"
    assert instance.last_error_message.startswith("Amazon Connect is throttling requests")
    queue_filter.refresh_from_db()
    assert queue_filter.last_error_message == instance.last_error_message
    # A single throttle costs no extra interval; a run of them rests longer each time.
    rest = backoff_state().get(queue_filter.source_key)
    assert rest is not None and rest.until - time.time() <= 5 / 2
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.RESTING


@pytest.mark.parametrize(
    ("fault", "error_class", "words"),
    [
        ("access_denied", "AccessDeniedException", "Access to the Connect instance was denied"),
        ("not_found", "ResourceNotFoundException", "The Connect instance was not found"),
    ],
)
def test_setup_errors_say_so_and_rest_far_longer_than_throttling(
    queue_filter: QueueFilter,
    screens: Screens,
    redis_mode: str,
    fault: str,
    error_class: str,
    words: str,
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, **{fault: True})
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.FAILED
    (update,) = screens.updates
    assert (update.status, update.rows) == ("error", [])  # no good numbers to show yet
    assert update.reason == f"{words}; an administrator needs to check the Connect settings"
    assert ConnectInstance.objects.get().last_error_class == error_class
    rest = backoff_state().get(queue_filter.source_key)
    assert rest is not None and rest.until - time.time() > 290
    calls = upstream_calls(redis_mode)
    for _ in range(5):
        assert poll_source(queue_filter.source_key, publish=screens).step is Step.RESTING
    assert upstream_calls(redis_mode) == calls  # not hammering


def test_an_admin_fixing_the_setup_ends_the_rest_at_once(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, not_found=True)
    poll_source(queue_filter.source_key, publish=screens)
    set_faults(redis_mode, SIMULATED_INSTANCE_ID)
    QueueFilter.objects.filter(pk=queue_filter.pk).update(metrics=["AGENTS_ONLINE"])
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.OK


def test_a_request_aws_would_refuse_is_not_sent(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str
) -> None:
    # Saved before the rules existed, say: grouping by CHANNEL without a Channels filter.
    QueueFilter.objects.filter(pk=queue_filter.pk).update(channels=[], secondary_grouping="CHANNEL")
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.FAILED
    assert upstream_calls(redis_mode) == 0
    assert screens.updates[0].reason.startswith("Amazon Connect rejected the request")


def test_a_disabled_filter_or_instance_is_not_polled(
    queue_filter: QueueFilter, screens: Screens, redis_mode: str
) -> None:
    ConnectInstance.objects.update(enabled=False)
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.GONE
    assert poll_source(QueueFilter.source_key_of(999_999), publish=screens).step is Step.GONE
    assert upstream_calls(redis_mode) == 0


class FakeClock:
    """The simulated centre's clock, moved on by the test (its DataSnapshotTime follows)."""

    def __init__(self) -> None:
        self.now = 1_764_144_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("mode", ["redis_mode", "embedded_mode"])
def test_first_snapshot_plus_updates_equals_a_fresh_snapshot(
    mode: str,
    request: pytest.FixtureRequest,
    screens: Screens,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
) -> None:
    request.getfixturevalue(mode)
    settings.CONNECT_MAX_ATTEMPTS = 1
    settings.CONNECT_RATE_BURST = 100  # this test is about messages, not the quota
    clock = FakeClock()
    original = connectmetrics.simulator.simulated_client
    monkeypatch.setattr(
        connectmetrics.simulator, "simulated_client", partial(original, clock=clock)
    )
    queue_filter = demo_filter(simulated_instance(), groupings=("QUEUE", "CHANNEL"))
    poll_source(queue_filter.source_key, publish=screens)
    state = kept_snapshot(queue_filter.source_key)
    # Polls within a bucket, across buckets, past the hour, and one that fails.
    for step, seconds in enumerate([5, 10, 30, 600, 1800, 1200, 40, 5, 700]):
        clock.now += seconds
        if step == 6 and mode == "redis_mode":
            set_faults(request.getfixturevalue("redis_url"), SIMULATED_INSTANCE_ID, throttle=1.0)
        if step == 7 and mode == "redis_mode":
            set_faults(request.getfixturevalue("redis_url"), SIMULATED_INSTANCE_ID)
            backoff_state().clear(queue_filter.source_key)
        poll_source(queue_filter.source_key, publish=screens)
    for update in screens.updates[1:]:
        state = apply_update(state, update)
    fresh = kept_snapshot(queue_filter.source_key)
    assert state == fresh
    assert fresh.seq == screens.updates[0].seq + 9
    assert any(len(points) > 1 for row in fresh.trends.values() for points in row.values())
    # Only what changed travels: no update repeats the rows' names and ARNs.
    assert all(len(text) < len(screens.texts[0]) / 2 for text in screens.texts[2:])


@pytest.mark.parametrize(
    "connection_change",
    [{"simulator_queues": 12}, {"simulator_agents": 90}, {"simulator_seed": 8}],
)
def test_an_admin_changing_how_the_centre_is_reached_ends_the_rest_at_once(
    queue_filter: QueueFilter,
    screens: Screens,
    redis_mode: str,
    connection_change: dict[str, int],
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, not_found=True)
    poll_source(queue_filter.source_key, publish=screens)
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.RESTING
    set_faults(redis_mode, SIMULATED_INSTANCE_ID)
    ConnectInstance.objects.filter(pk=queue_filter.instance_id).update(**connection_change)
    assert poll_source(queue_filter.source_key, publish=screens).step is Step.OK
