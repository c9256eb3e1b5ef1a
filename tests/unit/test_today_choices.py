"""A today source's choices in its requests: rows of routing profiles (each request
also asked without a grouping, for a total counting each contact once), the metrics
shown in order with the counts of the total asked whatever is shown, a grouping by
CHANNEL refused, and every metric of the wall valid per queue and per routing profile
by the simulated centre's catalogue; and the total's average abandon time from counts."""

import json
from datetime import UTC, datetime

import msgspec
import pytest

from connectmetrics.today import panel, rules, totals
from connectmetrics.today.rules import Plan, RowAsked
from connectmetrics.wire import socket_messages

ARN = "arn:aws:connect:eu-west-2:123456789012:instance/11111111-2222-3333-4444-555555555555"
NOON = datetime(2026, 12, 3, 12, 0, 7, 500_000, tzinfo=UTC)


def resource_id(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


def plan(
    count: int = 3,
    *,
    grouping: str = rules.QUEUE,
    metrics: tuple[str, ...] = rules.DEFAULT_METRICS,
    threshold: int = 20,
) -> Plan:
    rows = tuple(RowAsked(resource_id(n), threshold) for n in range(count))
    return Plan(ARN, "Europe/Paris", ("VOICE",), rows, grouping, metrics)


def names(body: dict[str, object]) -> list[str]:
    metrics = body["Metrics"]
    assert isinstance(metrics, list)
    return [m["Name"] for m in metrics]


def asked(chosen: Plan) -> list[rules.Asked]:
    start, end = rules.day_window(chosen.time_zone, NOON)
    return rules.requests_for(chosen, start, end)


def test_a_routing_profile_source_asks_its_rows_and_their_whole() -> None:
    requests = asked(plan(grouping=rules.ROUTING_PROFILE))
    shapes = [(a.period, a.whole, a.body["Groupings"]) for a in requests]
    assert shapes == [
        ("TOTAL", False, ["ROUTING_PROFILE"]),
        ("TOTAL", True, []),
        ("FIFTEEN_MIN", False, ["ROUTING_PROFILE"]),
        ("FIFTEEN_MIN", True, []),
    ]
    for a in requests:
        assert a.body["Filters"][0] == {
            "FilterKey": "ROUTING_PROFILE",
            "FilterValues": [resource_id(n) for n in range(3)],
        }
    assert rules.check(plan(grouping=rules.ROUTING_PROFILE), NOON) == []


@pytest.mark.parametrize("grouping", rules.GROUPINGS)
def test_every_metric_of_the_wall_is_answered_per_queue_and_routing_profile(
    grouping: str,
) -> None:
    assert rules.check(plan(grouping=grouping, metrics=rules.WALL_METRICS), NOON) == []


def test_the_metrics_shown_are_asked_with_the_counts_of_the_total() -> None:
    chosen = ("AVG_ABANDON_TIME", "MAX_QUEUED_TIME")
    (day,) = asked(plan(metrics=chosen))  # no service level shown: no trend asked
    assert day.period == "TOTAL"
    assert names(day.body) == [
        "CONTACTS_QUEUED",
        "CONTACTS_HANDLED",
        "CONTACTS_ABANDONED",
        "AVG_ABANDON_TIME",
        "MAX_QUEUED_TIME",
        rules.ANSWERED_IN,
        rules.ANSWERED_IN,
    ]
    shown = asked(plan(metrics=("SERVICE_LEVEL", "AVG_HANDLE_TIME")))
    assert [a.period for a in shown] == ["TOTAL", "FIFTEEN_MIN"]
    assert "SERVICE_LEVEL" in names(shown[0].body) and "AVG_HANDLE_TIME" in names(shown[0].body)
    assert "ABANDONMENT_RATE" not in names(shown[0].body)


def test_the_plan_keeps_its_grouping_and_metrics_through_the_poller() -> None:
    chosen = plan(grouping=rules.ROUTING_PROFILE, metrics=("MAX_QUEUED_TIME", "SERVICE_LEVEL"))
    assert Plan.of(chosen.as_request()) == chosen


@pytest.mark.parametrize(
    ("broken", "field", "words"),
    [
        (plan(grouping="CHANNEL"), "grouping", "channels only filter"),
        (plan(metrics=("AGENT_OCCUPANCY",)), "metrics", "AGENT_OCCUPANCY"),
        (plan(metrics=()), "metrics", "got none"),
        (plan(metrics=("SERVICE_LEVEL", "SERVICE_LEVEL")), "metrics", "each once"),
        (plan(101, grouping=rules.ROUTING_PROFILE), "routing_profiles", "at most 100"),
        (plan(0, grouping=rules.ROUTING_PROFILE), "routing_profiles", "FilterValues"),
    ],
)
def test_what_the_choices_break_names_the_field(broken: Plan, field: str, words: str) -> None:
    (violation,) = rules.check(broken, NOON)
    assert violation.field == field
    assert words in violation.message


def test_the_totals_average_abandon_time_is_weighted_by_the_abandoned() -> None:
    short = totals.Counts(queued=10, abandoned=1, abandon_seconds=10.0)
    long = totals.Counts(queued=10, abandoned=3, abandon_seconds=3 * 90.0)
    assert totals.avg_abandon_time(short + long) == pytest.approx(280 / 4)
    assert totals.avg_abandon_time(totals.Counts(queued=5)) is None


def test_a_snapshot_kept_before_sources_chose_is_still_read() -> None:
    """After an upgrade, the first poll reads the snapshot kept by the previous build."""
    kept = {
        "type": "today_snapshot",
        "source": "today_source:2",
        "seq": 1,
        "published_at": "2026-12-03T14:03:01.020Z",
        "build": "old",
        "status": "ok",
        "reason": "",
        "fetched_at": None,
        "poll_interval": 60,
        "day_start": None,
        "as_of": None,
        "time_zone": "Europe/London",
        "rows": [],
        "total": {
            "target": 80,
            "level": None,
            "trend": [],
            "figures": {
                "queued": 0,
                "handled": 0,
                "abandoned": 0,
                "service_level": None,
                "abandonment_rate": None,
                "avg_handle_time": None,
                "avg_answer_time": None,
                "max_queued_time": None,
            },
        },
    }
    snapshot = msgspec.json.decode(json.dumps(kept), type=socket_messages.TodaySnapshot)
    assert (snapshot.grouping, snapshot.columns) == ("QUEUE", [])
    assert snapshot.total is not None and snapshot.total.figures.avg_abandon_time is None
    body = msgspec.json.decode(json.dumps(kept), type=panel.TodayBody)
    assert body.grouping == "QUEUE"


def test_routing_profiles_at_different_thresholds_are_refused() -> None:
    """Their total is asked once without a grouping: at one threshold."""
    rows = (RowAsked(resource_id(1), 20), RowAsked(resource_id(2), 60))
    mixed = Plan(ARN, "Europe/Paris", (), rows, rules.ROUTING_PROFILE, rules.DEFAULT_METRICS)
    (violation,) = rules.check(mixed, NOON)
    assert violation.field == "service_level_threshold"
    assert "share one threshold" in violation.message
