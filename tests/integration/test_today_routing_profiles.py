"""A today source of routing profiles, with metrics of its choosing, polled through the
real pipeline (lock, quota, rules, fetch, store, publish) against the simulated centre
through boto3: one row per routing profile at the instance's threshold and target,
the columns chosen in their order, and a total that counts each contact once although
the routing profiles share contacts."""

import pytest
from django.utils import timezone

from connectmetrics.models import ConnectInstance
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.poller.readings import readings_store
from connectmetrics.today import panel, rules
from connectmetrics.today.fetch import fetch_today
from connectmetrics.today.models import TodaySource
from connectmetrics.wire.socket_messages import TodaySnapshot, decode
from tests.today_support import today_centre

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db

CHOSEN = ["CONTACTS_QUEUED", "SERVICE_LEVEL", "AVG_ABANDON_TIME", "MAX_QUEUED_TIME"]


@pytest.fixture
def centre(redis_mode: str) -> ConnectInstance:
    return today_centre()


def profile_source(centre: ConnectInstance, metrics: list[str]) -> TodaySource:
    source = TodaySource.objects.create(
        name="Profiles today", instance=centre, grouping=rules.ROUTING_PROFILE, metrics=metrics
    )
    source.routing_profiles.set(centre.routing_profiles.all())
    return source


def polled(source: TodaySource) -> TodaySnapshot:
    assert poll_source(source.source_key).step is Step.OK
    message = decode(readings_store().latest_text(source.source_key))
    assert isinstance(message, TodaySnapshot)
    return message


def test_a_routing_profile_source_shows_each_profiles_day_and_a_total_counted_once(
    centre: ConnectInstance,
) -> None:
    source = profile_source(centre, CHOSEN)
    assert centre.routing_profiles.count() >= 2
    snapshot = polled(source)

    assert snapshot.status == "ok" and snapshot.grouping == "ROUTING_PROFILE"
    assert snapshot.columns == CHOSEN
    names = sorted(p.name for p in centre.routing_profiles.all())
    assert [row.label for row in snapshot.rows] == names
    assert {(row.threshold, row.target) for row in snapshot.rows} == {(30, 80)}
    busy = [row for row in snapshot.rows if row.figures.queued]
    assert busy, "the working day has contacts"
    for row in busy:
        assert row.figures.service_level is not None and row.level is not None
        assert row.figures.max_queued_time is not None
        assert row.trend, "the service level is shown: its trend is asked"
    # A contact counts in every routing profile serving its queue: the rows add up to
    # more than the day, and the total is the day's, each contact once.
    total = snapshot.total
    assert total is not None
    summed = sum(row.figures.queued for row in snapshot.rows)
    assert 0 < total.figures.queued <= summed
    assert total.figures.queued >= max(row.figures.queued for row in snapshot.rows)
    assert total.figures.service_level is not None and total.trend
    if total.figures.abandoned:
        assert total.figures.avg_abandon_time is not None


def test_the_same_day_by_queue_and_by_routing_profile_has_the_same_total(
    centre: ConnectInstance,
) -> None:
    """Every standard queue is served by some routing profile: at the same moment, both
    totals are the day's."""
    shown = ["CONTACTS_QUEUED", "CONTACTS_HANDLED"]
    by_profile = profile_source(centre, shown)
    by_queue = TodaySource.objects.create(name="Queues today", instance=centre, metrics=shown)
    for queue in centre.queues.filter(queue_type="STANDARD"):
        by_queue.queues.create(queue=queue)
    now = timezone.now()
    profiles = fetch_today(centre, by_profile.plan(), now)
    queues = fetch_today(centre, by_queue.plan(), now)
    profile_total = panel.build_total(profiles, 80).figures
    queue_total = panel.build_total(queues, 80).figures
    assert profile_total.queued == queue_total.queued > 0
    assert profile_total.handled == queue_total.handled
    assert profile_total.service_level == pytest.approx(queue_total.service_level)
    # The service level is not shown: no trend asked, but its counts still are.
    assert all(day.trend == [] and day.service_level is None for day in queues.rows)
    assert queue_total.service_level is not None
