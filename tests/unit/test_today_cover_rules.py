"""Which GetMetricDataV2 requests a today source's poll covers (connectmetrics/today/cover.py):
the poll's day window and interval, an EndTime from the poll's on with the same intervals,
some of its queues, some of its metrics at the same thresholds; nothing else."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectmetrics.simulator.metric_data_request import parse
from connectmetrics.today import cover, rules
from connectmetrics.today.fetch import Answered

ZONE = "Europe/Paris"
ARN = "arn:aws:connect:eu-west-2:123456789012:instance/00000000-0000-4000-8000-000000000001"
QUEUES = [f"00000000-0000-4000-8000-0000000001{n:02d}" for n in range(4)]
POLLED_AT = datetime(2026, 3, 4, 11, 7, 30, tzinfo=UTC)  # 12:07:30 in Paris
NOW = (POLLED_AT + timedelta(hours=1)).timestamp()


def poll_body(period: str) -> dict[str, Any]:
    plan = rules.Plan(ARN, ZONE, (), tuple(rules.RowAsked(q, 30) for q in QUEUES))
    start, end = rules.day_window(ZONE, POLLED_AT)
    return next(a.body for a in rules.requests_for(plan, start, end) if a.period == period)


def covered(period: str, **change: Any) -> bool:
    poll = poll_body(period)
    asked = {**poll, **change}
    return cover.covers(parse(poll, NOW), parse(asked, NOW))


def later(seconds: int) -> str:
    return (POLLED_AT.replace(microsecond=0) + timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize("period", [rules.TOTAL, rules.TREND])
def test_the_polls_own_request_and_a_later_end_in_the_same_quarter_are_covered(
    period: str,
) -> None:
    assert covered(period)
    assert covered(period, EndTime=later(7 * 60))  # 12:14:30
    assert not covered(period, EndTime=later(-1))  # the poll counts contacts after it


def test_a_later_end_in_a_new_quarter_hour_is_covered_for_the_day_not_for_the_trend() -> None:
    assert covered(rules.TOTAL, EndTime=later(8 * 60))  # 12:15:30
    assert not covered(rules.TREND, EndTime=later(8 * 60))


def test_some_of_the_queues_and_metrics_are_covered_others_not() -> None:
    some = [{"FilterKey": "QUEUE", "FilterValues": QUEUES[1:3]}]
    level = {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 30}]}
    assert covered(rules.TOTAL, Filters=some, Metrics=[level, {"Name": "CONTACTS_HANDLED"}])
    other_queue = "00000000-0000-4000-8000-000000000999"
    more = [{"FilterKey": "QUEUE", "FilterValues": [*QUEUES[:1], other_queue]}]
    assert not covered(rules.TOTAL, Filters=more)
    lower = {**level, "Threshold": [{"Comparison": "LTE", "ThresholdValue": 20}]}
    strict = {**level, "Threshold": [{"Comparison": "LT", "ThresholdValue": 30}]}
    assert not covered(rules.TOTAL, Metrics=[lower])
    assert not covered(rules.TOTAL, Metrics=[strict])
    assert not covered(rules.TREND, Metrics=[{"Name": "CONTACTS_HANDLED"}])  # not in the trend


@pytest.mark.parametrize(
    "change",
    [
        {"Interval": {"IntervalPeriod": "TOTAL", "TimeZone": "UTC"}},
        {"Interval": {"IntervalPeriod": "THIRTY_MIN", "TimeZone": ZONE}},
        {"Groupings": []},
        {"Groupings": ["QUEUE", "CHANNEL"]},
        {
            "Filters": [
                {"FilterKey": "QUEUE", "FilterValues": QUEUES},
                {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]},
            ]
        },
        {"Filters": [{"FilterKey": "ROUTING_PROFILE", "FilterValues": QUEUES[:1]}]},
    ],
)
def test_another_zone_interval_grouping_or_filter_is_not_covered(change: dict[str, Any]) -> None:
    assert not covered(rules.TOTAL, **change)


def test_a_source_of_some_channels_covers_the_same_channels_only() -> None:
    plan = rules.Plan(ARN, ZONE, ("VOICE", "CHAT"), (rules.RowAsked(QUEUES[0], 30),))
    start, end = rules.day_window(ZONE, POLLED_AT)
    poll = rules.requests_for(plan, start, end)[0].body
    queue = {"FilterKey": "QUEUE", "FilterValues": QUEUES[:1]}
    same = {**poll, "Filters": [queue, {"FilterKey": "CHANNEL", "FilterValues": ["CHAT", "VOICE"]}]}
    fewer = {**poll, "Filters": [queue, {"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}]}
    every = {**poll, "Filters": [queue]}
    assert cover.covers(parse(poll, NOW), parse(same, NOW))
    assert not cover.covers(parse(poll, NOW), parse(fewer, NOW))
    assert not cover.covers(parse(poll, NOW), parse(every, NOW))


def row(queue: str, *collections: dict[str, Any]) -> dict[str, Any]:
    interval = {"Interval": "TOTAL", "StartTime": 1.0, "EndTime": 2.0}
    return {
        "Dimensions": {"QUEUE": queue},
        "MetricInterval": interval,
        "Collections": [*collections],
    }


HANDLED = {"Metric": {"Name": "CONTACTS_HANDLED"}, "Value": 12.0}
LEVEL = {
    "Metric": {
        "Name": "SERVICE_LEVEL",
        "Threshold": [{"Comparison": "LTE", "ThresholdValue": 30.0}],
    },
    "Value": 75.0,
}


def test_the_answer_is_the_asked_queues_rows_with_the_asked_metrics_in_the_asked_order() -> None:
    poll = poll_body(rules.TOTAL)
    results = [row(q, HANDLED, LEVEL) for q in QUEUES]
    kept = cover.kept([Answered(poll, results)])
    asked = {
        **poll,
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": QUEUES[2:]}],
        "Metrics": [
            {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 30}]},
            {"Name": "CONTACTS_HANDLED"},
        ],
    }
    assert cover.answer(kept, parse(asked, NOW)) == [row(q, LEVEL, HANDLED) for q in QUEUES[2:]]
    # A row without an asked metric: not answered from the poll.
    short = cover.kept([Answered(poll, [row(q, HANDLED) for q in QUEUES])])
    assert cover.answer(short, parse(asked, NOW)) is None
    assert cover.answer(kept, parse({**asked, "EndTime": later(-60)}, NOW)) is None


PROFILES = [f"00000000-0000-4000-8000-0000000002{n:02d}" for n in range(3)]


def profile_poll(period: str, *, whole: bool = False) -> dict[str, Any]:
    rows = tuple(rules.RowAsked(p, 30) for p in PROFILES)
    plan = rules.Plan(ARN, ZONE, (), rows, rules.ROUTING_PROFILE)
    start, end = rules.day_window(ZONE, POLLED_AT)
    return next(
        a.body
        for a in rules.requests_for(plan, start, end)
        if a.period == period and a.whole == whole
    )


def profile_covered(poll: dict[str, Any], **change: Any) -> bool:
    return cover.covers(parse(poll, NOW), parse({**poll, **change}, NOW))


def test_a_routing_profile_poll_covers_only_requests_grouped_by_routing_profile() -> None:
    poll = profile_poll(rules.TOTAL)
    some = [{"FilterKey": "ROUTING_PROFILE", "FilterValues": PROFILES[:2]}]
    assert profile_covered(poll)
    assert profile_covered(poll, Filters=some)
    # The same routing profiles grouped by queue: other rows, fetched.
    assert not profile_covered(poll, Groupings=["QUEUE"])
    assert not profile_covered(poll, Groupings=["ROUTING_PROFILE", "CHANNEL"])
    stranger = [{"FilterKey": "ROUTING_PROFILE", "FilterValues": [*PROFILES[:1], QUEUES[0]]}]
    assert not profile_covered(poll, Filters=stranger)


def test_a_queue_poll_does_not_cover_a_request_grouped_by_routing_profile() -> None:
    poll = poll_body(rules.TOTAL)
    assert not cover.covers(
        parse(poll, NOW), parse({**poll, "Groupings": ["ROUTING_PROFILE"]}, NOW)
    )


def test_the_total_asked_without_a_grouping_covers_nothing() -> None:
    whole = profile_poll(rules.TOTAL, whole=True)
    assert whole["Groupings"] == []
    assert not profile_covered(whole)


def test_the_rows_of_a_routing_profile_poll_are_picked_by_routing_profile() -> None:
    poll = profile_poll(rules.TOTAL)
    results = [
        {
            "Dimensions": {"ROUTING_PROFILE": profile},
            "Collections": [{"Metric": m, "Value": 1.0} for m in poll["Metrics"]],
        }
        for profile in PROFILES
    ]
    asked = {**poll, "Filters": [{"FilterKey": "ROUTING_PROFILE", "FilterValues": PROFILES[1:]}]}
    records = cover.kept([Answered(poll, results)])
    rows = cover.answer(records, parse(asked, NOW))
    assert rows is not None
    assert [row["Dimensions"]["ROUTING_PROFILE"] for row in rows] == PROFILES[1:]
