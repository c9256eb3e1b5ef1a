"""What a screen is told: rows named in the contact centre's words, levels, totals, trends."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from msgspec import UNSET

from connectmetrics.client.client import MetricRow
from connectmetrics.sources.trends import TREND_BUCKET_MS, apply_trend_points, trend_bucket
from connectmetrics.wire import socket_messages
from connectmetrics.wire.message_builder import (
    Body,
    Named,
    Names,
    ThresholdRule,
    build_rows,
    build_totals,
    failed_body,
    iso,
    ok_body,
    snapshot,
    trend_points,
    update,
)
from connectmetrics.wire.socket_messages import Metric, Resource, Row, RowChange, Totals, Trends
from connectmetrics.wire.thresholds import Band, Direction

NAMES = Names(
    queues={
        "q-sales": Named("Sales", "arn:q-sales"),
        "q-billing": Named("Billing <b>", "arn:q-billing"),
    },
    routing_profiles={"rp-1": Named("Front line", "arn:rp-1")},
)
WHEN = datetime(2026, 11, 26, 8, 3, 22, 123456, tzinfo=UTC)
HIGHER = Direction.HIGHER_IS_WORSE


def queue_row(queue: str, channel: str | None = None, **values: float | None) -> MetricRow:
    dimensions: dict[str, Any] = {"Queue": {"Id": queue}}
    key = f"QUEUE={queue}"
    if channel:
        dimensions["Channel"] = channel
        key += f"|CHANNEL={channel}"
    return MetricRow(key=key, dimensions=dimensions, values=dict(values))


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    assert iso(WHEN) == "2026-11-26T08:03:22.123Z"
    assert iso(WHEN.astimezone(ZoneInfo("Europe/Paris"))) == iso(WHEN)
    assert iso(None) is None


def test_rows_carry_names_from_the_database_and_labels_per_grouping() -> None:
    rows = build_rows(
        [queue_row("q-billing", "VOICE", AGENTS_ONLINE=3.0, OLDEST_CONTACT_AGE=41.0)],
        ["QUEUE", "CHANNEL"],
        ["AGENTS_ONLINE", "OLDEST_CONTACT_AGE"],
        NAMES,
        [],
    )
    assert rows == [
        Row(
            key="QUEUE=q-billing|CHANNEL=VOICE",
            label="Billing <b> · Voice",  # raw text: the page escapes it
            dimensions={
                "QUEUE": Resource(id="q-billing", arn="arn:q-billing", name="Billing <b>"),
                "CHANNEL": "VOICE",
            },
            values={"AGENTS_ONLINE": 3, "OLDEST_CONTACT_AGE": 41.0},
            levels={},
        )
    ]
    assert isinstance(rows[0].values["AGENTS_ONLINE"], int)


def test_unknown_queue_falls_back_to_its_id_and_no_grouping_is_one_row() -> None:
    (row,) = build_rows(
        [queue_row("q-new", AGENTS_ONLINE=1)], ["QUEUE"], ["AGENTS_ONLINE"], NAMES, []
    )
    assert row.label == "q-new"
    (total,) = build_rows(
        [MetricRow("ALL", {}, {"AGENTS_ONLINE": 9.0})], [], ["AGENTS_ONLINE"], NAMES, []
    )
    assert (total.key, total.label, total.dimensions) == ("ALL", "All", {})


def test_an_unknown_value_stays_unknown_and_breaches_nothing() -> None:
    (row,) = build_rows(
        [queue_row("q-sales", ESTIMATED_WAIT_TIME=None)],
        ["QUEUE"],
        ["ESTIMATED_WAIT_TIME"],
        NAMES,
        [ThresholdRule("ESTIMATED_WAIT_TIME", Band(10, 20, HIGHER))],
    )
    assert row.values == {"ESTIMATED_WAIT_TIME": None}
    assert row.levels == {"ESTIMATED_WAIT_TIME": "ok"}


def test_a_queue_threshold_replaces_the_every_row_one_for_that_queue_only() -> None:
    thresholds = [
        ThresholdRule("CONTACTS_IN_QUEUE", Band(5, 10, HIGHER)),
        ThresholdRule("CONTACTS_IN_QUEUE", Band(1, 2, HIGHER), queue_id="q-sales"),
        ThresholdRule("AGENTS_AVAILABLE", Band(2, 0, Direction.LOWER_IS_WORSE)),
    ]
    rows = build_rows(
        [
            queue_row("q-sales", CONTACTS_IN_QUEUE=3, AGENTS_AVAILABLE=0, AGENTS_ONLINE=4),
            queue_row("q-billing", CONTACTS_IN_QUEUE=3, AGENTS_AVAILABLE=2, AGENTS_ONLINE=4),
        ],
        ["QUEUE"],
        ["CONTACTS_IN_QUEUE", "AGENTS_AVAILABLE", "AGENTS_ONLINE"],
        NAMES,
        thresholds,
    )
    assert rows[0].levels == {"CONTACTS_IN_QUEUE": "critical", "AGENTS_AVAILABLE": "critical"}
    assert rows[1].levels == {"CONTACTS_IN_QUEUE": "ok", "AGENTS_AVAILABLE": "warning"}


def test_totals_follow_the_catalogue_and_show_the_worst_level_of_the_column() -> None:
    rows = build_rows(
        [
            queue_row(
                "q-sales", CONTACTS_IN_QUEUE=4, OLDEST_CONTACT_AGE=90.5, ESTIMATED_WAIT_TIME=3
            ),
            queue_row("q-billing", CONTACTS_IN_QUEUE=1, OLDEST_CONTACT_AGE=None),
        ],
        ["QUEUE"],
        ["CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE", "ESTIMATED_WAIT_TIME"],
        NAMES,
        [ThresholdRule("CONTACTS_IN_QUEUE", Band(2, 4, HIGHER))],
    )
    totals = build_totals(
        rows, ["CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE", "ESTIMATED_WAIT_TIME"], ["QUEUE"]
    )
    assert totals == Totals(
        values={"CONTACTS_IN_QUEUE": 5, "OLDEST_CONTACT_AGE": 90.5},
        levels={"CONTACTS_IN_QUEUE": "critical"},
    )


def test_agents_are_totalled_only_where_each_agent_is_in_one_row() -> None:
    rows = [
        Row("a", "A", {}, {"AGENTS_ONLINE": 3, "CONTACTS_IN_QUEUE": 2}, {}),
        Row("b", "B", {}, {"AGENTS_ONLINE": 4, "CONTACTS_IN_QUEUE": 1}, {}),
    ]
    metrics = ["AGENTS_ONLINE", "CONTACTS_IN_QUEUE"]
    # An agent serving both queues is in both queue rows: a sum would count them twice.
    assert build_totals(rows, metrics, ["QUEUE"]).values == {"CONTACTS_IN_QUEUE": 3}
    # An agent has exactly one routing profile; a queue may serve several profiles.
    assert build_totals(rows, metrics, ["ROUTING_PROFILE"]).values == {"AGENTS_ONLINE": 7}


def test_trend_rule_replaces_within_a_bucket_appends_across_and_keeps_sixty_minutes() -> None:
    start = trend_bucket(WHEN)
    trends: dict[str, Any] = {}
    apply_trend_points(trends, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (start, 1)}})
    apply_trend_points(trends, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (start, 2)}})
    assert trends == {"QUEUE=a": {"CONTACTS_IN_QUEUE": [(start, 2)]}}
    for step in range(1, 200):
        apply_trend_points(
            trends, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (start + step * TREND_BUCKET_MS, step)}}
        )
    series = trends["QUEUE=a"]["CONTACTS_IN_QUEUE"]
    assert len(series) == 120
    assert series[-1][0] - series[0][0] == 60 * 60 * 1000 - TREND_BUCKET_MS


def test_rows_that_stop_reporting_age_out_of_the_trends() -> None:
    start = trend_bucket(WHEN)
    trends: dict[str, Any] = {}
    apply_trend_points(trends, {"QUEUE=gone": {"CONTACTS_IN_QUEUE": (start, 4)}})
    hour_later = start + 60 * 60 * 1000
    apply_trend_points(trends, {"QUEUE=a": {"CONTACTS_IN_QUEUE": (hour_later, 1)}})
    assert list(trends) == ["QUEUE=a"]


def test_buckets_are_thirty_seconds() -> None:
    assert trend_bucket(WHEN) == trend_bucket(WHEN.replace(second=0, microsecond=0))
    assert trend_bucket(WHEN + timedelta(seconds=8)) - trend_bucket(WHEN) == TREND_BUCKET_MS


def test_trend_points_cover_only_trend_metrics() -> None:
    rows = build_rows(
        [queue_row("q-sales", AGENTS_ONLINE=2, CONTACTS_IN_QUEUE=3)],
        ["QUEUE"],
        ["AGENTS_ONLINE", "CONTACTS_IN_QUEUE"],
        NAMES,
        [],
    )
    assert trend_points(rows, 60_000) == {"QUEUE=q-sales": {"CONTACTS_IN_QUEUE": (60_000, 3)}}


def test_a_failed_poll_keeps_the_last_good_numbers_marked_stale_or_says_there_are_none() -> None:
    good = ok_body(
        rows=[],
        metrics=["AGENTS_ONLINE"],
        groupings=["QUEUE"],
        data_snapshot_time=WHEN,
        fetched_at=WHEN,
        poll_interval=5,
    )
    stale = failed_body(
        good, reason="throttled", metrics=["AGENTS_ONLINE"], groupings=["QUEUE"], poll_interval=5
    )
    assert stale == msgspec.structs.replace(good, status="stale", reason="throttled")
    error = failed_body(
        None, reason="denied", metrics=["AGENTS_ONLINE"], groupings=["QUEUE"], poll_interval=5
    )
    assert (error.status, error.rows, error.fetched_at) == ("error", [], None)
    assert error.metrics == [Metric(name="AGENTS_ONLINE", unit="COUNT", label="Online")]


def body_of(rows: list[Row], metrics: list[str]) -> Body:
    return ok_body(
        rows=rows,
        metrics=metrics,
        groupings=["QUEUE"],
        data_snapshot_time=WHEN,
        fetched_at=WHEN,
        poll_interval=5,
    )


def test_snapshot_carries_the_whole_history_and_the_envelope() -> None:
    trends: Trends = {"ALL": {"CONTACTS_IN_QUEUE": [(0, 1)]}}
    made = snapshot(
        queue_filter_id=3,
        seq=41,
        body=body_of([], []),
        published_at=WHEN,
        build="b1",
        trends=trends,
    )
    assert (made.queue_filter, made.seq, made.build, made.trends) == (3, 41, "b1", trends)
    assert made.published_at == "2026-11-26T08:03:22.123Z"
    assert made.trend_metrics == ["CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE", "AGENTS_AVAILABLE"]


def test_an_update_carries_only_what_changed_naming_rows_by_position() -> None:
    metrics = ["CONTACTS_IN_QUEUE", "AGENTS_ONLINE"]
    threshold = [ThresholdRule("CONTACTS_IN_QUEUE", Band(2, 4, HIGHER))]
    before = build_rows(
        [
            queue_row("q-sales", CONTACTS_IN_QUEUE=1, AGENTS_ONLINE=4),
            queue_row("q-billing", CONTACTS_IN_QUEUE=0, AGENTS_ONLINE=2),
            queue_row("q-gone", CONTACTS_IN_QUEUE=0, AGENTS_ONLINE=1),
        ],
        ["QUEUE"],
        metrics,
        NAMES,
        threshold,
    )
    base = snapshot(
        queue_filter_id=3,
        seq=41,
        body=body_of(before, metrics),
        published_at=WHEN,
        build="b1",
        trends={},
    )
    after = build_rows(
        [
            queue_row("q-billing", CONTACTS_IN_QUEUE=5, AGENTS_ONLINE=2),
            queue_row("q-sales", CONTACTS_IN_QUEUE=1, AGENTS_ONLINE=4),
            queue_row("q-new", CONTACTS_IN_QUEUE=0, AGENTS_ONLINE=1),
        ],
        ["QUEUE"],
        metrics,
        NAMES,
        threshold,
    )
    made = update(
        base, seq=42, body=body_of(after, metrics), published_at=WHEN, build="b1", bucket=60_000
    )
    assert (made.seq, made.base, made.trend_bucket) == (42, 41, 60_000)
    # q-billing (position 1) changed a value and its level, named by the metric's
    # position (CONTACTS_IN_QUEUE is metrics[0]); q-sales did not change.
    assert metrics[0] == "CONTACTS_IN_QUEUE"
    assert made.changes == {1: RowChange(values={0: 5}, levels={0: "critical"})}
    # q-new is new, whole; q-gone is left out of the order.
    assert [row.key for row in made.rows] == ["QUEUE=q-new"]
    assert made.order == [1, 0, "QUEUE=q-new"]
    # The metrics did not change: not sent again.
    assert made.metrics is UNSET and made.groupings is UNSET and made.trend_metrics is UNSET
    assert made.totals.values == {"CONTACTS_IN_QUEUE": 6}  # agents are not summed over queues
    text = socket_messages.encode(made)
    assert "arn:" not in text and "Sales" not in text


def test_a_renamed_row_is_sent_whole() -> None:
    rows = build_rows(
        [queue_row("q-sales", AGENTS_ONLINE=4)], ["QUEUE"], ["AGENTS_ONLINE"], NAMES, []
    )
    base = snapshot(
        queue_filter_id=3, seq=1, body=body_of(rows, ["AGENTS_ONLINE"]), published_at=WHEN,
        build="b1", trends={},
    )  # fmt: skip
    renamed = Names(
        queues={"q-sales": Named("Sales & service", "arn:q-sales")}, routing_profiles={}
    )
    after = build_rows(
        [queue_row("q-sales", AGENTS_ONLINE=4)], ["QUEUE"], ["AGENTS_ONLINE"], renamed, []
    )
    made = update(
        base, seq=2, body=body_of(after, ["AGENTS_ONLINE"]), published_at=WHEN, build="b1",
        bucket=None,
    )  # fmt: skip
    assert made.rows == after and made.changes == {} and made.order is UNSET
