"""A today source polled through the real pipeline (lock, quota, rules, fetch, store,
publish) against the simulated centre through boto3: its queues' day since the
centre's local midnight, each at its own service-level threshold, totals recomputed
from counts, a 15-minute trend, every page of every request within
GetMetricDataV2's quota, at most once a minute, and compact updates that rebuild the
fresh snapshot."""

import time
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectmetrics.client.governor import governed_burst
from connectmetrics.client.quotas import GET_METRIC_DATA_V2, QUOTAS
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.poller.readings import readings_store
from connectmetrics.poller.schedule import claim_due_polls, slot_claims
from connectmetrics.simulator import call_counts
from connectmetrics.today import panel, rules
from connectmetrics.today.fetch import fetch_today
from connectmetrics.today.models import MIN_POLL_SECONDS, TodaySource
from connectmetrics.wire.socket_messages import TodaySnapshot, TodayUpdate, decode
from tests.today_support import today_centre, today_source

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db

QUARTER_MS = 15 * 60 * 1000


@pytest.fixture
def centre(redis_mode: str) -> ConnectInstance:
    return today_centre()


def calls(redis_url: str) -> int:
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get(GET_METRIC_DATA_V2, 0)


def snapshot_of(source: TodaySource) -> TodaySnapshot:
    message = decode(readings_store().latest_text(source.source_key))
    assert isinstance(message, TodaySnapshot)
    return message


def test_a_poll_shows_each_queues_day_since_local_midnight_and_the_total_from_counts(
    centre: ConnectInstance, redis_mode: str
) -> None:
    source = today_source(centre)
    before = calls(redis_mode)

    result = poll_source(source.source_key)

    assert result.step is Step.OK
    snapshot = snapshot_of(source)
    assert snapshot.source == f"today_source:{source.pk}" and snapshot.status == "ok"
    assert snapshot.time_zone == centre.time_zone
    zone = ZoneInfo(centre.time_zone)
    assert snapshot.day_start is not None and snapshot.as_of is not None
    start = datetime.fromisoformat(snapshot.day_start).astimezone(zone)
    assert (start.hour, start.minute) == (0, 0)
    assert start.date() == datetime.fromisoformat(snapshot.as_of).astimezone(zone).date()
    # One row per queue of the source, by name; at the instance's threshold and target.
    names = sorted(q.queue.name for q in source.chosen_queues())
    assert [row.label for row in snapshot.rows] == names
    assert {(row.threshold, row.target) for row in snapshot.rows} == {(30, 80)}
    busy = [row for row in snapshot.rows if row.figures.queued]
    assert busy, "the working day has contacts"
    for row in busy:
        figures = row.figures
        assert figures.service_level is not None and 0 <= figures.service_level <= 100
        assert figures.abandonment_rate is not None
        assert figures.abandonment_rate == pytest.approx(100 * figures.abandoned / figures.queued)
        assert row.level in ("met", "at_risk", "missed")
        # A quarter hour each since midnight, in order.
        starts = [point[0] for point in row.trend]
        assert starts == sorted(starts) and starts[0] >= start.timestamp() * 1000
        assert all((b - a) % QUARTER_MS == 0 for a, b in pairwise(starts))
    # The total: counts summed, the service level recomputed (between its rows').
    total = snapshot.total
    assert total is not None and total.target == 80
    assert total.figures.queued == sum(row.figures.queued for row in snapshot.rows)
    assert total.figures.handled == sum(row.figures.handled for row in snapshot.rows)
    assert total.figures.abandoned == sum(row.figures.abandoned for row in snapshot.rows)
    levels = [row.figures.service_level for row in busy if row.figures.service_level is not None]
    assert total.figures.service_level is not None
    assert min(levels) - 1e-6 <= total.figures.service_level <= max(levels) + 1e-6
    # Every page of every request: the day, then the trend (paged by the afternoon).
    assert calls(redis_mode) - before == result.calls >= 3
    source.refresh_from_db()
    assert source.last_success_at is not None and source.last_error_message == ""


def test_each_queue_is_measured_at_its_own_threshold(
    centre: ConnectInstance, redis_mode: str
) -> None:
    first, second = centre.queues.filter(queue_type="STANDARD").order_by("name")[:2]
    now = datetime.now(ZoneInfo("UTC"))
    # Two queues, two thresholds, one request: each row read at its own.
    both = today_source(
        centre, name="Both", thresholds={first.name: 5, second.name: 3600}, count=2
    ).plan()
    start, end = rules.day_window(both.time_zone, now)
    (day_request, _trend) = rules.requests_for(both, start, end)
    assert sorted(
        m["Threshold"][0]["ThresholdValue"]
        for m in day_request.body["Metrics"]
        if m["Name"] == rules.SERVICE_LEVEL
    ) == [5, 3600]
    days = fetch_today(centre, both, now).rows
    assert [day.threshold for day in days] == [5, 3600]
    for day in days:
        assert day.counts.queued > 0 and day.service_level is not None
        # Connect's own service level: answered within the threshold over queued.
        assert day.service_level == pytest.approx(
            100 * day.counts.answered_in_threshold / day.counts.queued
        )
    # One queue at 5 s and at an hour: far fewer within 5 s.
    strict = today_source(centre, name="Strict", thresholds={first.name: 5}, count=1)
    lenient = today_source(centre, name="Lenient", thresholds={first.name: 3600}, count=1)
    strict_day = fetch_today(centre, strict.plan(), now).rows[0]
    lenient_day = fetch_today(centre, lenient.plan(), now).rows[0]
    assert strict_day.counts.queued == lenient_day.counts.queued  # the same moment asked
    assert strict_day.counts.answered_in_threshold < lenient_day.counts.answered_in_threshold
    assert (strict_day.service_level or 0) < (lenient_day.service_level or 0)


def test_updates_carry_the_rows_that_changed_and_rebuild_the_snapshot(
    centre: ConnectInstance, redis_mode: str
) -> None:
    source = today_source(centre, count=5)
    published: list[str] = []
    assert poll_source(source.source_key, publish=lambda _, t: published.append(t)).step is Step.OK
    base = snapshot_of(source)
    assert poll_source(source.source_key, publish=lambda _, t: published.append(t)).step is Step.OK
    message = decode(published[-1])
    fresh = snapshot_of(source)
    assert isinstance(message, TodayUpdate) and message.base == base.seq
    rebuilt = panel.apply_update(base, message)
    assert rebuilt == fresh


def test_every_page_of_every_poll_stays_within_get_metric_data_v2s_quota(
    centre: ConnectInstance, redis_mode: str
) -> None:
    source = today_source(centre)
    before = calls(redis_mode)
    started = time.monotonic()
    results = [poll_source(source.source_key) for _ in range(3)]
    elapsed = time.monotonic() - started
    sent = calls(redis_mode) - before
    # A poll whose turn is not due yet is deferred (the governor resumes it, holding its
    # lock meanwhile: the next is busy), never sent early.
    assert results[0].step is Step.OK
    assert {r.step for r in results} <= {Step.OK, Step.DEFERRED, Step.BUSY}
    assert sent == sum(r.calls for r in results) > 3
    quota = QUOTAS[GET_METRIC_DATA_V2]
    assert sent <= governed_burst(GET_METRIC_DATA_V2) + quota.rate * elapsed + 1


def test_today_sources_are_polled_at_most_once_a_minute(centre: ConnectInstance) -> None:
    source = today_source(centre, count=2)
    due = {poll.source: poll.interval for poll in claim_due_polls(slot_claims())}
    assert centre.poll_interval < MIN_POLL_SECONDS
    assert due[source.source_key] == MIN_POLL_SECONDS


@pytest.mark.parametrize(("speed", "interval"), [(600, 1), (20, 3)])
def test_on_an_accelerated_clock_the_minute_between_today_polls_is_of_data_time(
    centre: ConnectInstance, settings: Any, speed: int, interval: int
) -> None:
    # An endurance run's clock: a poll a minute of data time, so the day rolls over
    # on screen within a few polls of the centre's midnight.
    ConnectInstance.objects.filter(pk=centre.pk).update(poll_interval=1)
    settings.WALLBOARD_CLOCK_SPEED = speed
    settings.WALLBOARD_CLOCK_EPOCH = time.time()
    source = today_source(centre, count=2)
    due = {poll.source: poll.interval for poll in claim_due_polls(slot_claims())}
    assert due[source.source_key] == interval
    assert TodaySource.objects.get(pk=source.pk).poll_interval == interval


def test_the_request_rules_refuse_before_any_call(centre: ConnectInstance, redis_mode: str) -> None:
    empty = TodaySource.objects.create(name="No queues", instance=centre)
    before = calls(redis_mode)
    assert poll_source(empty.source_key).step is Step.FAILED
    assert calls(redis_mode) == before
    empty.refresh_from_db()
    assert "Filters[0].FilterValues" in empty.last_error_message
    message = decode(readings_store().latest_text(empty.source_key))
    assert isinstance(message, TodaySnapshot) and message.status == "error"
