"""A today source's requests: the centre's day from its local midnight (also on a
daylight-saving day, and rolling over at midnight outside UTC), split at
GetMetricDataV2's limits (100 queues, 20 SERVICE_LEVEL thresholds a request, each
queue asked at its own threshold), and refused by the simulated centre's rules with
the source's field named."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectmetrics.today import rules
from connectmetrics.today.rules import Plan, RowAsked

ARN = "arn:aws:connect:eu-west-2:123456789012:instance/11111111-2222-3333-4444-555555555555"
NOON = datetime(2026, 12, 3, 12, 0, 7, 500_000, tzinfo=UTC)


def queue_id(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


def plan(queues: list[RowAsked], *, zone: str = "UTC", channels: tuple[str, ...] = ()) -> Plan:
    return Plan(ARN, zone, channels, tuple(queues))


def service_levels(body: dict[str, object]) -> list[int]:
    metrics = body["Metrics"]
    assert isinstance(metrics, list)
    return [
        m["Threshold"][0]["ThresholdValue"] for m in metrics if m["Name"] == rules.SERVICE_LEVEL
    ]


def test_the_day_starts_at_local_midnight_and_ends_now_in_whole_seconds() -> None:
    start, end = rules.day_window("America/New_York", NOON)
    assert start == datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # midnight EST, UTC-5
    assert end == datetime(2026, 12, 3, 12, 0, 7, tzinfo=UTC)


def test_the_day_rolls_over_at_local_midnight_not_utc_midnight() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    before = datetime(2026, 12, 3, 23, 59, 30, tzinfo=tokyo)
    after = before + timedelta(minutes=1)
    start_before, _ = rules.day_window("Asia/Tokyo", before)
    start_after, end_after = rules.day_window("Asia/Tokyo", after)
    assert start_before == datetime(2026, 12, 3, 0, 0, tzinfo=tokyo)
    assert start_after == datetime(2026, 12, 4, 0, 0, tzinfo=tokyo)
    assert end_after - start_after == timedelta(seconds=30)
    # 15:00 UTC is already tomorrow in Tokyo: UTC's date is not the centre's.
    assert start_after.astimezone(UTC).date() == datetime(2026, 12, 3).date()


@pytest.mark.parametrize(
    ("day", "hours"),
    [(datetime(2026, 3, 29), 23), (datetime(2026, 10, 25), 25), (datetime(2026, 6, 1), 24)],
)
def test_a_daylight_saving_day_is_asked_from_its_own_midnight(day: datetime, hours: int) -> None:
    london = ZoneInfo("Europe/London")
    last_second = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=london)
    start, end = rules.day_window("Europe/London", last_second)
    assert start == datetime(day.year, day.month, day.day, tzinfo=london)
    assert end - start == timedelta(hours=hours) - timedelta(seconds=1)
    assert rules.check(plan([RowAsked(queue_id(1), 20)], zone="Europe/London"), end) == []


def test_day_and_trend_requests_ask_the_range_in_the_centres_time_zone() -> None:
    start, end = rules.day_window("Europe/Paris", NOON)
    asked = rules.requests_for(plan([RowAsked(queue_id(1), 20)], zone="Europe/Paris"), start, end)
    assert [a.period for a in asked] == ["TOTAL", "FIFTEEN_MIN"]
    for a in asked:
        assert a.body["Interval"] == {"IntervalPeriod": a.period, "TimeZone": "Europe/Paris"}
        assert a.body["StartTime"] == "2026-12-02T23:00:00+00:00"
        assert a.body["Groupings"] == ["QUEUE"]


def test_more_than_100_queues_are_asked_in_batches_of_100() -> None:
    queues = [RowAsked(queue_id(n), 20) for n in range(250)]
    batches = rules.batches(queues)
    assert [len(b) for b in batches] == [100, 100, 50]
    assert [q for b in batches for q in b] == queues
    start, end = rules.day_window("UTC", NOON)
    asked = rules.requests_for(plan(queues, channels=("VOICE", "CHAT")), start, end)
    assert len(asked) == 6
    for a in asked:
        values = [
            v for f in a.body["Filters"] if f["FilterKey"] != "CHANNEL" for v in f["FilterValues"]
        ]
        assert len(values) <= 100
    assert rules.check(plan(queues, channels=("VOICE", "CHAT")), NOON) == []


def test_each_threshold_has_its_own_service_level_at_most_20_a_request() -> None:
    # 45 queues with 45 different thresholds (a VIP line at 10 s, email at hours).
    queues = [RowAsked(queue_id(n), 10 + n) for n in range(45)]
    batches = rules.batches(queues)
    assert [len({q.threshold for q in b}) for b in batches] == [20, 20, 5]
    start, end = rules.day_window("UTC", NOON)
    asked = rules.requests_for(plan(queues), start, end)
    for a in asked:
        thresholds = {q.threshold for q in a.rows}
        assert sorted(service_levels(a.body)) == sorted(thresholds)
        assert len(service_levels(a.body)) <= 20
    # Every queue is asked once a period, at its own threshold.
    assert Counter(q for a in asked for q in a.rows) == Counter({q: 2 for q in queues})
    assert rules.check(plan(queues), NOON) == []


def test_queues_sharing_a_threshold_share_one_service_level_entry() -> None:
    queues = [RowAsked(queue_id(n), 20 if n % 2 else 4 * 3600) for n in range(6)]
    assert len(rules.batches(queues)) == 1
    start, end = rules.day_window("UTC", NOON)
    day = rules.requests_for(plan(queues), start, end)[0]
    assert service_levels(day.body) == [20, 4 * 3600]


@pytest.mark.parametrize(
    ("broken", "field", "words"),
    [
        (plan([]), "queues", "Filters[0].FilterValues"),
        (plan([RowAsked(queue_id(1), 700_000)]), "service_level_threshold", "604800"),
        (plan([RowAsked(queue_id(1), 20)], zone="Mars/Olympus"), "time_zone", "IANA"),
        (Plan("", "UTC", (), (RowAsked(queue_id(1), 20),)), "instance", "ResourceArn"),
        (plan([RowAsked(queue_id(1), 20)], channels=("FAX",)), "channels", "FAX"),
    ],
)
def test_what_the_rules_refuse_names_the_field(broken: Plan, field: str, words: str) -> None:
    (violation,) = rules.check(broken, NOON)
    assert violation.field == field
    assert words in violation.message


def test_the_plan_survives_the_poller_as_a_request() -> None:
    chosen = plan([RowAsked(queue_id(1), 20), RowAsked(queue_id(2), 30)], channels=("CHAT",))
    assert Plan.of(chosen.as_request()) == chosen


def test_the_first_second_of_the_day_asks_nothing_yet() -> None:
    zone = ZoneInfo("Australia/Sydney")
    midnight = datetime(2026, 12, 4, 0, 0, 0, 400_000, tzinfo=zone)
    start, end = rules.day_window("Australia/Sydney", midnight)
    assert start == end  # nothing to ask: StartTime must be before EndTime
    assert rules.check(plan([RowAsked(queue_id(1), 20)], zone="Australia/Sydney"), midnight) == []
