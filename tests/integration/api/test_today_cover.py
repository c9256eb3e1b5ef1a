"""POST /metrics/data/<InstanceId> answered from a today source's poll: a request its poll
covers (the same day window and interval, some of its queues, some of its metrics at the
same thresholds) costs no Connect call and shows what Connect said at the poll's EndTime;
anything else is fetched upstream."""

import functools
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from connectmetrics import simulator
from connectmetrics.api import store as answer_store_module
from connectmetrics.api.auth import issue_token
from connectmetrics.api.wire import wire, with_iso_times
from connectmetrics.client.client import client_for
from connectmetrics.client.quotas import GET_METRIC_DATA_V2
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.simulator import call_counts
from connectmetrics.sources.key import SourceKey
from connectmetrics.today import rules
from connectmetrics.today.fetch import TodayFetched
from connectmetrics.today.kind import TodaySourceSource
from connectmetrics.today.models import TodaySource
from tests.conftest import free_port
from tests.today_support import today_centre, today_source

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db

THRESHOLD = 30  # the centre's service-level threshold, which the source's queues take
SOURCE_QUEUES = 5


def calls(redis_url: str) -> int:
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get(GET_METRIC_DATA_V2, 0)


def post(client: Client, body: Any, *, token: str) -> Any:
    return client.post(
        f"/metrics/data/{SIMULATED_INSTANCE_ID}",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def results_of(response: Any) -> list[dict[str, Any]]:
    payload = response.json()
    assert payload["success"] is True, payload
    results: list[dict[str, Any]] = payload["data"]["MetricResults"]
    return results


def walk(client: Client, body: dict[str, Any], *, token: str) -> tuple[list[dict[str, Any]], int]:
    """Every page of the answer, following NextToken: the records and the pages."""
    page = post(client, body, token=token).json()
    records, pages = list(page["data"]["MetricResults"]), 1
    while page["data"]["NextToken"]:
        page = post(client, {**body, "NextToken": page["data"]["NextToken"]}, token=token).json()
        records, pages = records + page["data"]["MetricResults"], pages + 1
    return records, pages


def poll_once(source: SourceKey) -> Step:
    """Poll the source once, waiting for its turn of the quota when the poll is deferred."""
    result = poll_source(source)
    while result.step is Step.DEFERRED:
        time.sleep(result.turn_in or 0.0)
        result = poll_source(
            source, resume_token=result.resume_token, turn_due_at=result.turn_due_at
        )
    return result.step


def service_level(seconds: int, comparison: str = "LTE") -> dict[str, Any]:
    return {
        "Name": "SERVICE_LEVEL",
        "Threshold": [{"Comparison": comparison, "ThresholdValue": seconds}],
    }


@pytest.fixture
def centre(api_redis: str, monkeypatch: pytest.MonkeyPatch) -> ConnectInstance:
    """The today centre, its simulated Connect's clock stopped a little ahead of now: every
    answer for a given request is the same, whenever asked, so a poll's answer can be
    compared with a direct fetch of the same request."""
    stopped = time.time() + 600
    built = functools.partial(simulator.simulated_client, clock=lambda: stopped)
    monkeypatch.setattr(simulator, "simulated_client", built)
    instance = today_centre()
    return instance


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Workforce tool", [centre])[1]


@pytest.fixture
def source(centre: ConnectInstance) -> TodaySource:
    return today_source(centre, count=SOURCE_QUEUES)


def queue_ids(source: TodaySource) -> list[str]:
    return sorted(q.queue.queue_id for q in source.chosen_queues())


def day_body(source: TodaySource, **extra: Any) -> dict[str, Any]:
    """Three of the source's queues since the centre's midnight, up to now."""
    start, end = rules.day_window(source.instance.time_zone, timezone.now())
    return {
        "StartTime": start.timestamp(),
        "EndTime": end.timestamp(),
        "Interval": {"IntervalPeriod": "TOTAL", "TimeZone": source.instance.time_zone},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": queue_ids(source)[:3]}],
        "Groupings": ["QUEUE"],
        "Metrics": [{"Name": "CONTACTS_HANDLED"}, service_level(THRESHOLD)],
        **extra,
    }


def ask_once(client: Client, source: TodaySource, token: str) -> None:
    """A tool asks for GetMetricDataV2 on the instance (fetched): sources keep their polls."""
    start = time.time() - 3600
    body = day_body(source, StartTime=start - 3600, EndTime=start)
    assert results_of(post(client, body, token=token)) is not None


def polled(client: Client, source: TodaySource, token: str, redis_url: str) -> int:
    """Tools ask, the source polls: the Connect calls made so far."""
    ask_once(client, source, token)
    assert poll_once(source.source_key) is Step.OK
    return calls(redis_url)


def direct_fetch(instance: ConnectInstance, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Connect's answer to the request, straight from it, as the envelope writes records."""
    params = {"ResourceArn": instance.resource_arn(), **body, "MaxResults": 100}
    results: list[dict[str, Any]] = []
    while True:
        answer = client_for(instance).get_metric_data_v2(**params)
        results += answer["MetricResults"]
        if not answer.get("NextToken"):
            written: list[dict[str, Any]] = with_iso_times(wire(results))
            return written
        params["NextToken"] = answer["NextToken"]


def as_epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_a_covered_request_costs_no_connect_call_and_shows_connects_figures_at_the_poll(
    client: Client, source: TodaySource, token: str, api_redis: str
) -> None:
    before = polled(client, source, token, api_redis)
    body = day_body(source)
    rows = results_of(post(client, body, token=token))
    trend_body = day_body(
        source,
        Interval={"IntervalPeriod": "FIFTEEN_MIN", "TimeZone": source.instance.time_zone},
        Metrics=[service_level(THRESHOLD), {"Name": "CONTACTS_QUEUED"}],
    )
    trend, _ = walk(client, trend_body, token=token)
    assert calls(api_redis) == before
    # The asked queues only, each with the asked metrics in the asked order.
    assert {row["Dimensions"]["QUEUE"] for row in rows} == set(queue_ids(source)[:3])
    assert [c["Metric"]["Name"] for c in rows[0]["Collections"]] == [
        "CONTACTS_HANDLED",
        "SERVICE_LEVEL",
    ]
    assert any(c.get("Value") for row in rows for c in row["Collections"]), "a working day"
    # As of the poll's EndTime (at most the asked one), as Connect answers it then.
    polled_end = rows[0]["MetricInterval"]["EndTime"]
    assert as_epoch(polled_end) <= body["EndTime"]
    assert rows == direct_fetch(source.instance, {**body, "EndTime": as_epoch(polled_end)})
    assert trend == direct_fetch(source.instance, {**trend_body, "EndTime": as_epoch(polled_end)})
    assert len(trend) > len(rows), "a quarter hour each since midnight"


class _Later:
    """The answer store's clock, `seconds` ahead: a kept poll looks that much older."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds

    def monotonic(self) -> float:
        return time.monotonic()


def test_a_poll_answers_until_the_sources_next_poll_not_the_instances(
    client: Client, source: TodaySource, token: str, api_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = polled(client, source, token, api_redis)
    body = day_body(source)
    assert source.instance.poll_interval < 30 < source.poll_interval
    # Older than the instance's poll interval, younger than the source's (a minute at least).
    monkeypatch.setattr(answer_store_module, "time", _Later(30))
    assert results_of(post(client, body, token=token))
    assert calls(api_redis) == before
    # Older than the source's own interval: its next poll is due, so the request is fetched.
    monkeypatch.setattr(answer_store_module, "time", _Later(source.poll_interval + 1))
    assert results_of(post(client, body, token=token))
    assert calls(api_redis) == before + 1


def test_a_covered_answer_pages_with_next_token(
    client: Client, source: TodaySource, token: str, api_redis: str
) -> None:
    before = polled(client, source, token, api_redis)
    body = day_body(
        source,
        Interval={"IntervalPeriod": "FIFTEEN_MIN", "TimeZone": source.instance.time_zone},
        Metrics=[{"Name": "CONTACTS_QUEUED"}],
    )
    whole, pages = walk(client, body, token=token)
    walked, small_pages = walk(client, {**body, "MaxResults": 7}, token=token)
    assert len(walked) > 100, "a quarter hour each since midnight, three queues"
    assert pages == -(-len(whole) // 100)
    assert small_pages == -(-len(walked) // 7)
    assert walked == whole
    assert calls(api_redis) == before


def outside(source: TodaySource, name: str) -> dict[str, Any]:
    """A request the source's poll does not answer, and why."""
    zone = source.instance.time_zone
    others = source.instance.queues.filter(queue_type="STANDARD").exclude(
        queue_id__in=queue_ids(source)
    )
    other_queue = sorted(others.values_list("queue_id", flat=True))[0]
    body = day_body(source)
    changes: dict[str, Callable[[], dict[str, Any]]] = {
        "another queue": lambda: day_body(
            source, Filters=[{"FilterKey": "QUEUE", "FilterValues": [other_queue]}]
        ),
        "another threshold": lambda: day_body(source, Metrics=[service_level(THRESHOLD - 10)]),
        "another comparison": lambda: day_body(source, Metrics=[service_level(THRESHOLD, "LT")]),
        "a metric not polled": lambda: day_body(source, Metrics=[{"Name": "AVG_ABANDON_TIME"}]),
        "another interval": lambda: day_body(
            source, Interval={"IntervalPeriod": "HOUR", "TimeZone": zone}
        ),
        "another day window": lambda: day_body(source, StartTime=body["StartTime"] + 900),
        "an end before the poll's": lambda: day_body(source, EndTime=body["EndTime"] - 120),
        "another grouping": lambda: day_body(source, Groupings=["QUEUE", "CHANNEL"]),
        "no grouping": lambda: day_body(source, Groupings=[]),
        "a channel filter": lambda: day_body(
            source,
            Filters=[*body["Filters"], {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}],
        ),
    }
    return changes[name]()


@pytest.mark.parametrize(
    "name",
    [
        "another queue",
        "another threshold",
        "another comparison",
        "a metric not polled",
        "another interval",
        "another day window",
        "an end before the poll's",
        "another grouping",
        "no grouping",
        "a channel filter",
    ],
)
def test_a_request_outside_the_source_is_fetched_from_connect(
    client: Client, source: TodaySource, token: str, api_redis: str, name: str
) -> None:
    before = polled(client, source, token, api_redis)
    body = outside(source, name)
    assert results_of(post(client, body, token=token)) is not None
    assert calls(api_redis) == before + 1, name


def test_a_disabled_source_does_not_cover(
    client: Client, source: TodaySource, token: str, api_redis: str
) -> None:
    before = polled(client, source, token, api_redis)
    TodaySource.objects.filter(pk=source.pk).update(enabled=False)
    assert results_of(post(client, day_body(source), token=token))
    assert calls(api_redis) == before + 1


def test_with_no_tool_asking_a_poll_keeps_nothing_and_a_request_is_fetched(
    client: Client, source: TodaySource, token: str, api_redis: str
) -> None:
    assert poll_once(source.source_key) is Step.OK
    before = calls(api_redis)
    assert results_of(post(client, day_body(source), token=token))
    assert calls(api_redis) == before + 1
    # Asked now: the next poll is kept and answers the next request (of other queues).
    again = today_source(source.instance, name="Today again", count=SOURCE_QUEUES)
    assert poll_once(again.source_key) is Step.OK
    before = calls(api_redis)
    other = day_body(source, Filters=[{"FilterKey": "QUEUE", "FilterValues": queue_ids(source)}])
    assert results_of(post(client, other, token=token))
    assert calls(api_redis) == before


def test_a_today_poll_never_fails_when_the_cache_cannot_keep_it(
    centre: ConnectInstance, source: TodaySource, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    polled_source = TodaySourceSource(source)
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    now = timezone.now()
    polled_source.learn(polled_source.request(), TodayFetched([], 1, now, now), now)
    assert "Could not keep the poll of today_source" in caplog.text


def test_a_routing_profile_source_covers_requests_grouped_by_routing_profile_only(
    client: Client, centre: ConnectInstance, source: TodaySource, token: str, api_redis: str
) -> None:
    profiles = TodaySource.objects.create(
        name="Profiles today", instance=centre, grouping=rules.ROUTING_PROFILE
    )
    profiles.routing_profiles.set(centre.routing_profiles.all())
    ask_once(client, source, token)
    source.delete()  # this test's poll is the routing-profile source's alone
    assert poll_once(profiles.source_key) is Step.OK
    before = calls(api_redis)
    some = sorted(p.routing_profile_id for p in profiles.chosen_routing_profiles())[:2]
    start, end = rules.day_window(centre.time_zone, timezone.now())
    body = {
        "StartTime": start.timestamp(),
        "EndTime": end.timestamp(),
        "Interval": {"IntervalPeriod": "TOTAL", "TimeZone": centre.time_zone},
        "Filters": [{"FilterKey": "ROUTING_PROFILE", "FilterValues": some}],
        "Groupings": ["ROUTING_PROFILE"],
        "Metrics": [{"Name": "CONTACTS_QUEUED"}, service_level(THRESHOLD)],
    }
    rows = results_of(post(client, body, token=token))
    assert calls(api_redis) == before, "covered by the poll"
    assert {row["Dimensions"]["ROUTING_PROFILE"] for row in rows} <= set(some)
    assert rows, "a working day"
    polled_end = as_epoch(rows[0]["MetricInterval"]["EndTime"])
    assert rows == direct_fetch(centre, {**body, "EndTime": polled_end})
    # The same routing profiles grouped by queue, or not grouped: fetched from Connect.
    results_of(post(client, {**body, "Groupings": ["QUEUE"]}, token=token))
    by_queue = calls(api_redis)
    assert by_queue > before
    results_of(post(client, {**body, "Groupings": []}, token=token))
    assert calls(api_redis) > by_queue
