"""Beat's dispatcher and the poll task: one poll per filter per interval, never a stale replay."""

import itertools
import time
from typing import Any

import pytest
import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from pytest_django.fixtures import Settings

from connectmetrics.models import ConnectInstance, QueueFilter
from connectmetrics.poller import tasks
from connectmetrics.poller.schedule import RedisSlotClaims, claim_due_polls, slot_of
from dashboard.models import Wallboard
from tests.simulated_centre import demo_filter, simulated_instance, upstream_calls

pytest_plugins = ["tests.polling_support"]

T0 = 1_764_144_000.0


def claims(redis_url: str) -> RedisSlotClaims:
    """One beat's view of the slots (its own Redis connection)."""
    return RedisSlotClaims(redis.Redis.from_url(redis_url))


def ticks(beat: RedisSlotClaims, seconds: float, *, start: float = T0) -> list[int]:
    """The queue filter IDs one beat dispatches, ticking every second from `start`."""
    return [queue_filter_id for _, queue_filter_id in timed_ticks(beat, seconds, start=start)]


def timed_ticks(
    beat: RedisSlotClaims, seconds: float, *, start: float = T0
) -> list[tuple[int, int]]:
    """(second, queue filter ID) of each dispatch of one beat ticking every second."""
    return [
        (second, due.source.id)
        for second in range(int(seconds))
        for due in claim_due_polls(beat, now=start + second)
    ]


def gaps(dispatched: list[tuple[int, int]], queue_filter_id: int) -> list[int]:
    seconds = [second for second, i in dispatched if i == queue_filter_id]
    return [b - a for a, b in itertools.pairwise(seconds)]


@pytest.mark.django_db
def test_each_filter_is_dispatched_at_once_then_every_interval(redis_mode: str) -> None:
    five = demo_filter(simulated_instance(poll_interval=5))
    two = demo_filter(simulated_instance(poll_interval=2, name="Fast centre"))
    dispatched = timed_ticks(claims(redis_mode), 30)
    assert {i for second, i in dispatched if second == 0} == {five.pk, two.pk}
    # After the first poll, each filter keeps to its own phase of the interval.
    first_gap, *later = gaps(dispatched, five.pk)
    assert first_gap <= 5 and later == [5] * len(later) and len(later) >= 4
    first_gap, *later = gaps(dispatched, two.pk)
    assert first_gap <= 2 and later == [2] * len(later) and len(later) >= 13


@pytest.mark.django_db
def test_a_second_beat_started_by_mistake_adds_no_polls(redis_mode: str) -> None:
    queue_filter = demo_filter(simulated_instance(poll_interval=5))
    alone = ticks(claims(redis_mode), 30)
    redis.Redis.from_url(redis_mode).flushdb()
    beat_a, beat_b = claims(redis_mode), claims(redis_mode)
    dispatched: list[int] = []
    for second in range(30):
        for beat, skew in ((beat_a, 0.0), (beat_b, 0.4)):
            dispatched += [d.source.id for d in claim_due_polls(beat, now=T0 + second + skew)]
    assert dispatched.count(queue_filter.pk) == alone.count(queue_filter.pk) >= 6


@pytest.mark.django_db
def test_an_interval_changed_in_the_admin_applies_on_the_next_tick(redis_mode: str) -> None:
    queue_filter = demo_filter(simulated_instance(poll_interval=10))
    beat = claims(redis_mode)
    assert ticks(beat, 10).count(queue_filter.pk) <= 2
    ConnectInstance.objects.update(poll_interval=1)
    assert ticks(beat, 5, start=T0 + 10) == [queue_filter.pk] * 5
    ConnectInstance.objects.update(poll_interval=4)
    first_gap, *later = gaps(timed_ticks(beat, 20, start=T0 + 15), queue_filter.pk)
    assert first_gap <= 4 and later == [4] * len(later) and len(later) >= 3


@pytest.mark.django_db
def test_disabled_filters_and_instances_are_not_dispatched(redis_mode: str) -> None:
    instance = simulated_instance(poll_interval=1)
    kept = demo_filter(instance)
    QueueFilter.objects.filter(pk=demo_filter(instance, name="Off").pk).update(enabled=False)
    other = simulated_instance(poll_interval=1, name="Off centre")
    demo_filter(other)
    ConnectInstance.objects.filter(pk=other.pk).update(enabled=False)
    assert set(ticks(claims(redis_mode), 3)) == {kept.pk}


@pytest.mark.django_db
def test_the_dispatcher_enqueues_ids_that_expire_when_the_next_slot_ends(
    redis_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_filter = demo_filter(simulated_instance(poll_interval=5))
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        tasks.poll_source_task,
        "apply_async",
        lambda args, **options: sent.append((args, options)),
    )
    assert tasks.dispatch_due_polls() == 1
    assert tasks.dispatch_due_polls() == 0
    ((args, options),) = sent
    assert args == ("queue_filter", queue_filter.pk)
    # It carries its interval: it makes the call of the slot it runs in, unless that slot
    # had its call. It may run in the next slot, never later: it expires when that ends.
    assert options["kwargs"] == {"interval": 5}
    assert 5 < options["expires"] <= 10


@pytest.mark.django_db
def test_upstream_calls_per_interval_do_not_depend_on_the_wallboards(
    redis_mode: str, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    # Ninety seconds of beat ticks run in a fraction of one: the quota is not the subject.
    settings.CONNECT_RATE_BURST = 100
    queue_filter = demo_filter(simulated_instance(poll_interval=5))
    # The worker, inline: each enqueued poll runs at once.
    monkeypatch.setattr(
        tasks.poll_source_task,
        "apply_async",
        lambda args, **options: tasks.poll_source_task.run(*args),
    )
    beat = claims(redis_mode)

    def calls_in_thirty_seconds(start: float) -> int:
        before = upstream_calls(redis_mode)
        for second in range(30):
            for due in claim_due_polls(beat, now=start + second):
                tasks.poll_source_task.apply_async((due.source.kind, due.source.id))
        return upstream_calls(redis_mode) - before

    calls_in_thirty_seconds(T0)  # the first poll, then the filter's own phase
    Wallboard.objects.create(slug="board-0", title="Board 0").add_panel(queue_filter)
    one_wallboard = calls_in_thirty_seconds(T0 + 30)
    for n in range(1, 50):
        Wallboard.objects.create(slug=f"board-{n}", title=f"Board {n}").add_panel(queue_filter)
    fifty_wallboards = calls_in_thirty_seconds(T0 + 60)
    assert one_wallboard == fifty_wallboards == 6  # one call per 5-second interval


@pytest.mark.django_db(transaction=True)
def test_a_backlog_never_replays_stale_polls(redis_mode: str) -> None:
    queue_filter = demo_filter(simulated_instance(poll_interval=1))
    app = Celery("backlog-test", broker=redis_mode, set_as_current=False)
    app.conf.task_ignore_result = True
    # No worker running: three intervals' polls pile up, then expire.
    for _ in range(3):
        app.send_task(
            "connectmetrics.poll_source", args=("queue_filter", queue_filter.pk), expires=1
        )
    time.sleep(1.5)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=5):
        app.send_task(
            "connectmetrics.poll_source", args=("queue_filter", queue_filter.pk), expires=5
        )
        deadline = time.monotonic() + 10
        while upstream_calls(redis_mode) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # anything stale would have run before the fresh poll
    assert upstream_calls(redis_mode) == 1


@pytest.mark.django_db
def test_a_claimed_poll_expires_exactly_when_its_slot_ends(redis_mode: str) -> None:
    claims = RedisSlotClaims(redis.Redis.from_url(redis_mode))
    queue_filter = demo_filter(simulated_instance(poll_interval=5))
    moment = claims.now()
    (due,) = claim_due_polls(claims, now=moment)
    slot = slot_of(queue_filter.pk, 5, moment)
    assert slot_of(queue_filter.pk, 5, moment + due.ends_in - 0.001) == slot
    assert slot_of(queue_filter.pk, 5, moment + due.ends_in + 0.001) == slot + 1
