"""The poller's counters agree with what the simulated centre received, in Redis and embedded."""

import pytest
import redis
from pytest_django.fixtures import Settings

from connectmetrics.client import telemetry
from connectmetrics.client.client import client_for
from connectmetrics.client.telemetry import What
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import QueueFilter
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.simulator import set_faults
from connectmetrics.sources.key import SourceKey
from dashboard.lib import shared_state
from tests.conftest import free_port
from tests.modes import use_redis
from tests.simulated_centre import demo_filter, simulated_instance, upstream_calls

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


def metric_calls(tally: telemetry.Tally, instance_id: int) -> int:
    """GetCurrentMetricData calls of an instance (setting it up also lists its queues)."""
    return sum(
        c.value
        for c in tally.counts
        if c.what is What.UPSTREAM_CALLS
        and c.instance_id == instance_id
        and c.detail == "GetCurrentMetricData"
    )


def no_screens(queue_filter_id: int, text: str) -> None:
    """Nothing is watching: these tests read the counters."""


@pytest.fixture
def queue_filter(redis_mode: str, monkeypatch: pytest.MonkeyPatch) -> QueueFilter:
    made = demo_filter(simulated_instance())
    # Setting the centre up lists its queues, which counts too: start the tests from zero.
    redis.Redis.from_url(redis_mode).flushdb()
    shared_state.reset()
    return made


def test_a_good_poll_counts_one_poll_and_one_call(queue_filter: QueueFilter) -> None:
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.OK
    hour = telemetry.last_hour()
    instance_id = queue_filter.instance_id
    assert hour.of_source(What.POLLS, queue_filter.source_key) == 1
    assert metric_calls(hour, instance_id) == 1
    assert hour.of_source(What.UPSTREAM_CALLS, queue_filter.source_key) == 1
    assert hour.of_instance(What.THROTTLES, instance_id) == 0
    totals = {(c.what, c.detail): c.value for c in telemetry.totals()}
    assert totals == {(What.POLLS, "ok"): 1, (What.UPSTREAM_CALLS, "GetCurrentMetricData"): 1}


def test_every_retry_is_counted_as_the_centre_counts_it(
    queue_filter: QueueFilter, redis_mode: str
) -> None:
    # Every other call answers 500 and botocore retries it: two attempts per poll.
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, internal_error=0.5)
    for _ in range(3):
        poll_source(queue_filter.source_key, publish=no_screens)
    counted = metric_calls(telemetry.last_hour(), queue_filter.instance_id)
    assert counted == upstream_calls(redis_mode) > 3


def test_throttled_attempts_and_the_failed_poll_are_counted(
    queue_filter: QueueFilter, redis_mode: str, settings: Settings
) -> None:
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, throttle=1.0)
    assert poll_source(queue_filter.source_key, publish=no_screens).step is Step.FAILED
    hour = telemetry.last_hour()
    attempts = settings.CONNECT_MAX_ATTEMPTS  # botocore tried that often, each one throttled
    assert hour.of_source(What.THROTTLES, queue_filter.source_key) == attempts
    assert hour.of_source(What.UPSTREAM_CALLS, queue_filter.source_key) == attempts
    assert upstream_calls(redis_mode) == attempts
    totals = {(c.what, c.detail): c.value for c in telemetry.totals()}
    assert totals[What.POLLS, "failed"] == 1
    assert totals[What.POLL_ERRORS, "throttled"] == 1
    assert (What.POLLS, "ok") not in totals


def test_calls_outside_a_poll_count_for_the_instance_only(queue_filter: QueueFilter) -> None:
    instance = queue_filter.instance
    client = client_for(instance)
    telemetry.watch_client(client, instance.pk)
    telemetry.watch_client(client, instance.pk)  # twice: still counted once per call
    client.list_queues(InstanceId=instance.instance_id, MaxResults=1)
    hour = telemetry.last_hour()
    assert hour.of_instance(What.UPSTREAM_CALLS, instance.pk) == 1
    assert hour.of_source(What.UPSTREAM_CALLS, queue_filter.source_key) == 0
    (count,) = telemetry.totals()
    assert (count.detail, count.source) == ("ListQueues", None)


@pytest.mark.parametrize("mode", ["redis_mode", "embedded_mode"])
def test_the_last_hour_is_the_last_sixty_minutes(mode: str, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue(mode)
    store = telemetry.telemetry_store()
    now = 1_764_144_000.0
    minute = int(now // 60)
    field = "calls:1:queue_filter:2:GetCurrentMetricData"
    store.add({field: 1}, minute - 60)  # 61 minutes ago counting this one: out
    store.add({field: 10}, minute - 59)
    store.add({field: 100}, minute)
    assert telemetry.last_hour(now).of_instance(What.UPSTREAM_CALLS, 1) == 110
    source = SourceKey("queue_filter", 2)
    assert telemetry.last_hour(now).of_source(What.UPSTREAM_CALLS, source) == 110
    assert sum(c.value for c in telemetry.totals()) == 111


def test_redis_forgets_minutes_after_two_hours(redis_mode: str) -> None:
    telemetry.count_upstream_call(1, "GetCurrentMetricData", throttled=True)
    client = redis.Redis.from_url(redis_mode)
    (bucket,) = client.keys("cm:telemetry:m:*")
    assert 7000 < client.ttl(bucket) <= 7200
    assert client.ttl("cm:telemetry:total") == -1  # the totals are counters: kept


def test_embedded_mode_counts_in_the_process(embedded_mode: None) -> None:
    queue_filter = demo_filter(simulated_instance())
    poll_source(queue_filter.source_key, publish=no_screens)
    assert isinstance(telemetry.telemetry_store(), telemetry.LocalTelemetryStore)
    hour = telemetry.last_hour()
    assert hour.of_source(What.POLLS, queue_filter.source_key) == 1
    assert metric_calls(hour, queue_filter.instance_id) == 1


def test_counting_never_breaks_what_it_counts(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    telemetry.count_upstream_call(1, "GetCurrentMetricData", throttled=False)
    assert "telemetry not counted (ConnectionError)" in caplog.text
