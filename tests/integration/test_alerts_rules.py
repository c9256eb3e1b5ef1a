"""Alert rules against a poll's levels: raise after a sustained breach, clear after a
sustained recovery (hysteresis), repeats, quiet hours, rows, and one winner per change."""

from datetime import UTC, datetime, time, timedelta

import pytest

from connectmetrics.alerts import courier as courier_module
from connectmetrics.alerts import evaluator
from connectmetrics.alerts.evaluator import evaluate
from connectmetrics.alerts.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Delivery,
    Destination,
    EventKind,
)
from tests.alerts_support import centre, feed, row, rule_on

pytest_plugins = ["tests.alerts_support"]

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def kinds() -> list[str]:
    return list(AlertEvent.objects.order_by("at", "pk").values_list("kind", flat=True))


def test_a_breach_raises_once_it_has_lasted_the_rules_time_and_not_before() -> None:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=60)
    feed(evaluate, queue_filter, START, [200] * 12, billing)  # 0 .. 55 s
    assert kinds() == []
    assert Alert.objects.get().status == AlertStatus.PENDING
    feed(evaluate, queue_filter, START + timedelta(seconds=60), [200] * 20, billing)
    assert kinds() == [EventKind.RAISED]
    alert = Alert.objects.get()
    assert (alert.status, alert.level, alert.value) == (AlertStatus.OPEN, "critical", 200)
    assert alert.breached_since == START and alert.raised_at == START + timedelta(seconds=60)


def test_a_short_breach_raises_nothing() -> None:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=60)
    feed(evaluate, queue_filter, START, [100] * 11 + [10] + [100] * 11, billing)
    assert kinds() == []


def test_a_value_hovering_at_the_line_raises_once_and_clears_once() -> None:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=60, clear_after=60)
    at = feed(evaluate, queue_filter, START, [65] * 14, billing)  # 65 s over the line: raised
    # Five minutes either side of the warning line (60), every poll.
    hovering = [61 if n % 2 else 59 for n in range(60)]
    at = feed(evaluate, queue_filter, at + timedelta(seconds=5), hovering, billing)
    assert kinds() == [EventKind.RAISED]
    # Back under it for 55 s: still open; 60 s: cleared.
    at = feed(evaluate, queue_filter, at + timedelta(seconds=5), [30] * 12, billing)
    assert kinds() == [EventKind.RAISED]
    feed(evaluate, queue_filter, at + timedelta(seconds=5), [30] * 5, billing)
    assert kinds() == [EventKind.RAISED, EventKind.CLEARED]
    assert Alert.objects.get().status == AlertStatus.CLEARED


def test_critical_only_rules_ignore_warnings() -> None:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=0, level="critical")
    feed(evaluate, queue_filter, START, [120] * 30, billing)
    assert kinds() == []
    feed(evaluate, queue_filter, START + timedelta(minutes=3), [200], billing)
    assert kinds() == [EventKind.RAISED]


def test_an_open_alert_repeats_at_its_interval_until_acknowledged(
    django_user_model: type,
) -> None:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=0, repeat_every=120)
    at = feed(evaluate, queue_filter, START, [200] * 60, billing)  # 0 .. 295 s
    assert kinds() == [EventKind.RAISED, EventKind.REPEATED, EventKind.REPEATED]
    supervisor = django_user_model.objects.create_user("sam", is_staff=True)
    assert Alert.objects.get().acknowledge(supervisor)
    feed(evaluate, queue_filter, at + timedelta(seconds=5), [200] * 60, billing)
    assert kinds()[3:] == [EventKind.ACKNOWLEDGED]
    assert AlertEvent.objects.get(kind=EventKind.ACKNOWLEDGED).by == supervisor


def test_no_repeat_interval_means_never() -> None:
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=0)
    feed(evaluate, queue_filter, START, [200] * 500, billing)
    assert kinds() == [EventKind.RAISED]


def test_each_row_has_its_own_alert_and_a_missing_row_counts_as_recovered() -> None:
    queue_filter, billing, vip = centre()
    rule_on(queue_filter, raise_after=0, clear_after=10)
    evaluate(queue_filter.pk, [row(billing, 200), row(vip, 70)], START)
    assert sorted(Alert.objects.values_list("row_label", "level")) == [
        ("Billing", "critical"),
        ("VIP", "warning"),
    ]
    for seconds in (5, 10, 15):
        evaluate(queue_filter.pk, [row(billing, 200)], START + timedelta(seconds=seconds))
    assert Alert.objects.get(row_label="VIP").status == AlertStatus.CLEARED
    assert Alert.objects.get(row_label="Billing").status == AlertStatus.OPEN


def test_a_queues_own_threshold_decides_its_row_as_on_the_screens() -> None:
    queue_filter, billing, vip = centre()
    every_row = rule_on(queue_filter, raise_after=0)
    vip_only = rule_on(queue_filter, raise_after=0, queue=vip)
    evaluate(queue_filter.pk, [row(billing, 200), row(vip, 200)], START)
    assert sorted(Alert.objects.values_list("rule_id", "row_label")) == [
        (every_row.pk, "Billing"),
        (vip_only.pk, "VIP"),
    ]


def test_quiet_hours_hold_the_raise_until_they_end_and_the_clear_follows_it() -> None:
    queue_filter, billing, _ = centre()
    hook = Destination.objects.create(name="Hook", kind="webhook", url="http://127.0.0.1:9/")
    # 09:00-09:10 in New York is quiet (14:00-14:10 UTC).
    rule_on(
        queue_filter,
        destinations=(hook,),
        raise_after=0,
        clear_after=0,
        quiet_from=time(9, 0),
        quiet_until=time(9, 10),
        time_zone="America/New_York",
    )
    quiet = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    feed(evaluate, queue_filter, quiet, [200] * 60, billing)  # until 14:04:55
    raised = AlertEvent.objects.get()
    assert raised.held and not Delivery.objects.exists()
    feed(evaluate, queue_filter, quiet + timedelta(minutes=10), [200], billing)
    raised.refresh_from_db()
    assert not raised.held and Delivery.objects.get().event == raised
    feed(evaluate, queue_filter, quiet + timedelta(minutes=11), [10], billing)
    assert kinds() == [EventKind.RAISED, EventKind.CLEARED]
    assert Delivery.objects.count() == 2


def test_a_breach_raised_and_cleared_within_quiet_hours_sends_nothing() -> None:
    queue_filter, billing, _ = centre()
    hook = Destination.objects.create(name="Hook", kind="webhook", url="http://127.0.0.1:9/")
    rule_on(
        queue_filter,
        destinations=(hook,),
        raise_after=0,
        clear_after=0,
        quiet_from=time(22, 0),
        quiet_until=time(6, 0),
        time_zone="UTC",
    )
    night = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    feed(evaluate, queue_filter, night, [200, 200, 10], billing)
    assert kinds() == [EventKind.RAISED, EventKind.CLEARED]
    assert all(AlertEvent.objects.values_list("held", flat=True))
    assert not Delivery.objects.exists()


def test_two_evaluators_with_the_same_view_raise_and_clear_once() -> None:
    """Two workers read the same pending alert (a slow poll overtaken by the next one):
    only one of them raises it, and only one clears it."""
    queue_filter, billing, _ = centre()
    rule = rule_on(queue_filter, raise_after=10, clear_after=0)
    evaluate(queue_filter.pk, [row(billing, 200)], START)
    seen_by_both = Alert.objects.get()
    reading = evaluator.Reading("q-billing", "Billing", {}, 200, "critical")
    later = START + timedelta(seconds=15)
    first = evaluator._step(rule, seen_by_both, reading, later)
    second = evaluator._step(rule, seen_by_both, reading, later)
    assert [e.kind for e in first] == [EventKind.RAISED] and second == []
    open_for_both = Alert.objects.get()
    back = evaluator.Reading("q-billing", "Billing", {}, 10, "ok")
    first = evaluator._step(rule, open_for_both, back, later + timedelta(seconds=5))
    second = evaluator._step(rule, open_for_both, back, later + timedelta(seconds=5))
    assert [e.kind for e in first] == [EventKind.CLEARED] and second == []
    # And a second new breach while the first is live opens no second alert.
    assert evaluator._start(rule, reading, later) is not None
    assert evaluator._start(rule, reading, later) is None
    assert kinds() == [EventKind.RAISED, EventKind.CLEARED]


def test_a_restart_carries_on_from_the_database() -> None:
    """Nothing lives in memory: an evaluator in a new process picks up the pending breach
    and raises it on time, once."""
    queue_filter, billing, _ = centre()
    rule_on(queue_filter, raise_after=60)
    feed(evaluate, queue_filter, START, [200] * 6, billing)
    courier_module._couriers.clear()  # a new process: no courier yet
    feed(evaluate, queue_filter, START + timedelta(seconds=60), [200] * 3, billing)
    assert kinds() == [EventKind.RAISED]


def test_a_failed_rule_never_breaks_the_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    from connectmetrics.poller import poll_levels

    def broken(**kwargs: object) -> int:
        raise RuntimeError("database gone")

    monkeypatch.setattr(evaluator, "evaluate", broken)
    queue_filter, billing, _ = centre()
    poll_levels.report(queue_filter.pk, [row(billing, 200)], START)
