"""The simulated centre's GetMetricDataV2 through a real boto3 client: the day's numbers,
intervals in a time zone (midnight outside UTC, daylight-saving days), groupings, filters
and null values, and agreement with the day GetCurrentMetricData shows."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from botocore.client import BaseClient
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.simulator import SimulatedCentre
from tests.simulator_day_support import (
    AFTERNOON,
    COUNTS,
    EVER_ANSWERED,
    LONDON,
    NEW_YORK,
    WALL,
    at,
    by_queue,
    local_midnight,
    metric_data,
    values,
)
from tests.simulator_support import (
    DAY0,
    IID,
    UNKNOWN,
    Clock,
    standard_ids,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(AFTERNOON)


# -- the day's numbers -----------------------------------------------------------------


def check_rates(found: dict[str, float | None]) -> None:
    queued = found["CONTACTS_QUEUED"]
    assert queued is not None and queued > 0
    answered, abandoned = found["SUM_CONTACTS_ANSWERED_IN_X<60"], found["CONTACTS_ABANDONED"]
    assert found["SERVICE_LEVEL<60"] == pytest.approx(100 * (answered or 0) / queued)
    assert found["ABANDONMENT_RATE"] == pytest.approx(100 * (abandoned or 0) / queued)
    assert (found["CONTACTS_HANDLED"] or 0) + (abandoned or 0) <= queued


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=10_000), day=st.integers(min_value=0, max_value=6))
def test_counts_only_grow_through_the_day_and_rates_equal_their_counts(seed: int, day: int) -> None:
    midnight = DAY0 + day * 86_400
    clock = Clock(midnight + 1)
    centre = SimulatedCentre(seed, queues=6, agents=60, clock=clock)
    client = centre.client()
    earlier: dict[str, dict[str, float | None]] = {}
    for hour in range(1, 25, 2):
        clock.now = midnight + hour * 3600 - 1
        now = by_queue(metric_data(client, centre, midnight, clock.now, groupings=["QUEUE"]))
        assert set(earlier) <= set(now)  # a queue with contacts keeps them
        for queue, found in now.items():
            check_rates(found)
            before = earlier.get(queue, {})
            for name in (*COUNTS, "SUM_CONTACTS_ANSWERED_IN_X<60", "MAX_QUEUED_TIME"):
                assert (found[name] or 0) >= (before.get(name) or 0), (queue, name, hour)
        earlier = now


def test_max_queued_time_is_never_below_an_oldest_contact_age_shown_that_day(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    queues = standard_ids(centre)
    oldest: dict[str, float] = {}
    for minute in range(60, 24 * 60, 37):
        clock.now = DAY0 + minute * 60
        answer = client.get_current_metric_data(
            InstanceId=IID,
            Filters={"Queues": queues},
            Groupings=["QUEUE"],
            CurrentMetrics=[{"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}],
        )
        for row in answer["MetricResults"]:
            queue, age = row["Dimensions"]["Queue"]["Id"], row["Collections"][0]["Value"]
            oldest[queue] = max(oldest.get(queue, 0.0), age)
        today = by_queue(metric_data(client, centre, DAY0, clock.now, groupings=["QUEUE"]))
        for queue, age in oldest.items():
            if age:
                assert (today[queue]["MAX_QUEUED_TIME"] or 0) >= age
    assert max(oldest.values()) > 300


@pytest.mark.parametrize("hour", [2, 9.25, 11, 15.5, 20.75])
def test_waiting_now_is_queued_today_less_those_that_left(clock: Clock, hour: float) -> None:
    """GetCurrentMetricData's contacts in queue are today's queued contacts that were neither
    answered nor abandoned yet (every contact waiting at these hours arrived today)."""
    clock.now = DAY0 + hour * 3600
    centre = SimulatedCentre(5, clock=clock)
    client = centre.client()
    queues = standard_ids(centre)
    current = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": queues},
        Groupings=["QUEUE"],
        CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}],
    )
    waiting = {
        row["Dimensions"]["Queue"]["Id"]: row["Collections"][0]["Value"]
        for row in current["MetricResults"]
    }
    today = by_queue(
        metric_data(
            client,
            centre,
            DAY0,
            clock.now,
            groupings=["QUEUE"],
            metrics=[{"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_ABANDONED"}, EVER_ANSWERED],
        )
    )
    assert sum(waiting.values()) > 0
    for queue in queues:
        found = today.get(queue, {})
        left = (found.get("CONTACTS_ABANDONED") or 0) + (
            found.get("SUM_CONTACTS_ANSWERED_IN_X<604800") or 0
        )
        assert (found.get("CONTACTS_QUEUED") or 0) - left == waiting.get(queue, 0), queue


def test_the_same_seed_and_moment_give_the_same_day(clock: Clock) -> None:
    one, two = SimulatedCentre(9, clock=clock), SimulatedCentre(9, clock=clock)
    rows = [
        metric_data(c.client(), c, DAY0, clock.now, period="HOUR", groupings=["QUEUE"])
        for c in (one, two)
    ]
    assert rows[0] == rows[1]


# -- intervals and time zones ----------------------------------------------------------------


def test_fifteen_minute_intervals_add_up_to_the_total(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    start = local_midnight(LONDON, AFTERNOON)
    total = by_queue(metric_data(client, centre, start, AFTERNOON, groupings=["QUEUE"]))
    rows = metric_data(
        client,
        centre,
        start,
        AFTERNOON,
        period="FIFTEEN_MIN",
        zone="Europe/London",
        groupings=["QUEUE"],
    )
    assert len(rows) == 62 * len(total)  # 15:30 is 62 quarter hours after midnight
    for queue, found in total.items():
        mine = [values(r) for r in rows if r["Dimensions"]["QUEUE"] == queue]
        for name in (*COUNTS, "SUM_CONTACTS_ANSWERED_IN_X<60"):
            assert sum(v[name] or 0 for v in mine) == found[name]
        assert max(v["MAX_QUEUED_TIME"] or 0 for v in mine) == found["MAX_QUEUED_TIME"]
    quarters = [r["MetricInterval"] for r in rows if r["Dimensions"]["QUEUE"] == queue]
    assert quarters[0]["StartTime"].timestamp() == start
    assert all(q["EndTime"] - q["StartTime"] == timedelta(minutes=15) for q in quarters)
    assert all(q["Interval"] == "FIFTEEN_MIN" for q in quarters)


def test_midnight_in_new_york_starts_the_day(clock: Clock) -> None:
    clock.now = DAY0 + 86_400 + 20 * 3600  # 15:00 in New York on 31 December
    centre = SimulatedCentre(7, clock=clock)
    client = centre.client()
    midnight = local_midnight(NEW_YORK, clock.now)
    assert at(midnight).hour == 5  # 00:00 EST is 05:00 UTC
    days = metric_data(
        client, centre, midnight - 86_400, clock.now, period="DAY", zone="America/New_York"
    )
    assert [d["MetricInterval"]["StartTime"].timestamp() for d in days] == [
        midnight - 86_400,
        midnight,
    ]
    today = metric_data(client, centre, midnight, clock.now, zone="America/New_York")
    assert values(days[1]) == values(today[0])
    utc_day = metric_data(client, centre, DAY0 + 86_400, clock.now, period="DAY")
    assert values(utc_day[-1])["CONTACTS_QUEUED"] != values(today[0])["CONTACTS_QUEUED"]


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (datetime(2026, 3, 29), 23),  # clocks go forward in London
        (datetime(2026, 10, 25), 25),  # clocks go back
        (datetime(2026, 6, 15), 24),
    ],
)
def test_a_daylight_saving_day_in_london(clock: Clock, day: datetime, hours: int) -> None:
    start = day.replace(tzinfo=LONDON).timestamp()
    end = (day + timedelta(days=1)).replace(tzinfo=LONDON).timestamp()
    assert end - start == hours * 3600
    clock.now = end + 3600
    centre = SimulatedCentre(7, clock=clock)
    client = centre.client()
    zone = "Europe/London"
    whole = metric_data(client, centre, start, end, period="DAY", zone=zone)
    assert len(whole) == 1
    assert whole[0]["MetricInterval"]["EndTime"].timestamp() == end
    hourly = metric_data(client, centre, start, end, period="HOUR", zone=zone)
    assert len(hourly) == hours
    for name in COUNTS:
        assert sum(values(h)[name] or 0 for h in hourly) == values(whole[0])[name]
    local_hours = [h["MetricInterval"]["StartTime"].astimezone(LONDON).hour for h in hourly]
    assert local_hours[0] == 0 and local_hours[-1] == 23
    assert len(metric_data(client, centre, start, end, period="FIFTEEN_MIN", zone=zone)) == (
        hours * 4
    )


def test_hour_intervals_follow_a_half_hour_time_zone(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    rows = metric_data(client, centre, DAY0, DAY0 + 6 * 3600, period="HOUR", zone="Asia/Kolkata")
    edges = [r["MetricInterval"]["StartTime"].astimezone(ZoneInfo("Asia/Kolkata")) for r in rows]
    assert edges[0].minute == 30  # the range starts at 05:30 in Kolkata
    assert all(edge.minute == 0 for edge in edges[1:])
    assert len(rows) == 7


def test_weeks_start_on_monday_and_half_hours_on_the_half_hour(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    start = AFTERNOON - 10 * 86_400  # Saturday 20 December, 15:30
    weeks = metric_data(client, centre, start, AFTERNOON, period="WEEK", zone="Europe/London")
    edges = [w["MetricInterval"]["StartTime"].astimezone(LONDON) for w in weeks]
    assert edges[0].timestamp() == start
    assert [(e.day, e.weekday(), e.hour) for e in edges[1:]] == [(22, 0, 0), (29, 0, 0)]
    halves = metric_data(client, centre, AFTERNOON - 2 * 3600 - 600, AFTERNOON, period="THIRTY_MIN")
    assert [h["MetricInterval"]["StartTime"].minute for h in halves] == [20, 30, 0, 30, 0]


# -- groupings, filters and null values ------------------------------------------------


def test_null_when_there_is_nothing_to_divide_or_no_data(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    tasks = metric_data(
        client,
        centre,
        DAY0,
        AFTERNOON,
        filters=[
            {"FilterKey": "QUEUE", "FilterValues": standard_ids(centre)},
            {"FilterKey": "CHANNEL", "FilterValues": ["TASK"]},
        ],
    )
    found = values(tasks[0])
    # Tasks never abandon: a rate of zero, and no average abandon time.
    assert found["CONTACTS_ABANDONED"] == 0 and found["ABANDONMENT_RATE"] == 0
    assert found["AVG_ABANDON_TIME"] is None
    # A day queue's night quarters: nothing queued, so nothing to rate.
    sales = centre.topology.queues[0]
    assert not sales.always_open
    night = metric_data(
        client,
        centre,
        DAY0,
        DAY0 + 8 * 3600,
        period="HOUR",
        filters=[{"FilterKey": "QUEUE", "FilterValues": [sales.id]}],
    )
    first = values(night[0])
    assert first["CONTACTS_QUEUED"] == 0
    assert first["SERVICE_LEVEL<60"] is None and first["MAX_QUEUED_TIME"] is None
    assert values(night[-1])["CONTACTS_QUEUED"]


def test_an_idle_selection_has_no_rows(centre: SimulatedCentre, client: BaseClient) -> None:
    assert (
        metric_data(
            client,
            centre,
            DAY0,
            DAY0 + 3600,
            filters=[{"FilterKey": "QUEUE", "FilterValues": [UNKNOWN]}],
        )
        == []
    )


def test_groupings_split_the_total(centre: SimulatedCentre, client: BaseClient) -> None:
    total = values(metric_data(client, centre, DAY0, AFTERNOON)[0])
    by_channel = metric_data(client, centre, DAY0, AFTERNOON, groupings=["QUEUE", "CHANNEL"])
    assert {tuple(sorted(r["Dimensions"])) for r in by_channel} == {
        ("CHANNEL", "QUEUE", "QUEUE_ARN")
    }
    for name in COUNTS:
        assert sum(values(r)[name] or 0 for r in by_channel) == total[name]
    profiles = metric_data(client, centre, DAY0, AFTERNOON, groupings=["ROUTING_PROFILE"])
    assert all(
        r["Dimensions"]["ROUTING_PROFILE_ARN"].endswith(r["Dimensions"]["ROUTING_PROFILE"])
        for r in profiles
    )
    subtypes = metric_data(
        client, centre, DAY0, AFTERNOON, groupings=["contact/segmentAttributes/connect:Subtype"]
    )
    assert {r["Dimensions"]["contact/segmentAttributes/connect:Subtype"] for r in subtypes} == {
        "connect:Telephony",
        "connect:WebRTC",
        "connect:Chat",
        "connect:SMS",
    }


def test_contacts_are_handled_by_the_centres_agents(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    agent_metrics = [{"Name": n} for n in ("CONTACTS_HANDLED", "AVG_HANDLE_TIME")]
    total = values(metric_data(client, centre, DAY0, AFTERNOON, metrics=agent_metrics)[0])
    rows = metric_data(
        client, centre, DAY0, AFTERNOON, metrics=agent_metrics, groupings=["AGENT", "QUEUE"]
    )
    handled = sum(values(r)["CONTACTS_HANDLED"] or 0 for r in rows)
    assert 0.95 * (total["CONTACTS_HANDLED"] or 0) <= handled <= (total["CONTACTS_HANDLED"] or 0)
    for row in rows:
        agent = centre.topology.agent_by_id[row["Dimensions"]["AGENT"]]
        assert any(q == row["Dimensions"]["QUEUE"] for q, _ in agent.profile.pairs)
    # By team, and for one agent.
    team = centre.topology.agents[0].person.team
    by_team = metric_data(
        client,
        centre,
        DAY0,
        AFTERNOON,
        metrics=agent_metrics,
        filters=[{"FilterKey": "AGENT_HIERARCHY_LEVEL_TWO", "FilterValues": [team.arn]}],
        groupings=["AGENT"],
    )
    assert by_team and all(
        centre.topology.agent_by_id[r["Dimensions"]["AGENT"]].person.team == team for r in by_team
    )
    one = by_team[0]["Dimensions"]["AGENT"]
    alone = metric_data(
        client,
        centre,
        DAY0,
        AFTERNOON,
        metrics=agent_metrics,
        filters=[{"FilterKey": "AGENT", "FilterValues": [one]}],
    )
    assert values(alone[0]) == values(by_team[0])


def test_answers_validate_against_the_service_model(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    answer = client.get_metric_data_v2(
        ResourceArn=centre.topology.instance_arn,
        StartTime=at(DAY0),
        EndTime=at(AFTERNOON),
        Interval={"IntervalPeriod": "HOUR", "TimeZone": "Europe/London"},
        Filters=[{"FilterKey": "QUEUE", "FilterValues": standard_ids(centre)}],
        Groupings=["QUEUE", "CHANNEL"],
        Metrics=WALL,
    )
    answer.pop("ResponseMetadata")
    shape = client.meta.service_model.operation_model("GetMetricDataV2").output_shape
    report = ParamValidator().validate(answer, shape)
    assert not report.has_errors(), report.generate_report()
