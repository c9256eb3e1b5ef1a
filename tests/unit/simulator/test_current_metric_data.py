"""The simulated centre through a real boto3 client (botocore's serializer, parser,
exceptions and retries all run; only the network is replaced): GetCurrentMetricData's
shape and numbers."""

import json
import statistics
import time
from datetime import UTC, datetime
from math import floor
from typing import Any

import pytest
from botocore.client import BaseClient

from connectmetrics.simulator import (
    SimulatedCentre,
)
from connectmetrics.simulator.activity import AgentState
from tests.rule_cases import INSTANCE
from tests.simulator_support import (
    ALL_METRICS,
    DAY0,
    IID,
    MORNING,
    NIGHT,
    Clock,
    check_row_invariants,
    queue_of,
    standard_ids,
    values,
)

# -- GetCurrentMetricData: shape ------------------------------------------------------------


def test_response_shape_and_metric_order(centre: SimulatedCentre, client: BaseClient) -> None:
    asked = list(reversed(ALL_METRICS))
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": standard_ids(centre)},
        Groupings=["QUEUE"],
        CurrentMetrics=asked,
    )
    assert set(answer) == {
        "MetricResults",
        "DataSnapshotTime",
        "ApproximateTotalCount",
        "ResponseMetadata",
    }
    assert answer["DataSnapshotTime"] == datetime.fromtimestamp(MORNING, UTC)
    assert answer["ApproximateTotalCount"] == len(answer["MetricResults"]) == 20
    listed = {q["Id"]: q["Arn"] for q in client.list_queues(InstanceId=IID)["QueueSummaryList"]}
    for result in answer["MetricResults"]:
        assert [c["Metric"] for c in result["Collections"]] == asked
        assert result["Dimensions"]["Queue"]["Arn"] == listed[queue_of(result)]


DIMENSION = {
    "QUEUE": "Queue",
    "CHANNEL": "Channel",
    "ROUTING_PROFILE": "RoutingProfile",
    "AGENT_STATUS": "AgentStatus",
    "SUBTYPE": "Subtype",
}


@pytest.mark.parametrize(
    ("groupings", "filter_kind", "metrics"),
    [
        ([], "Queues", ALL_METRICS),
        (["QUEUE"], "Queues", ALL_METRICS),
        (["CHANNEL"], "Queues", ALL_METRICS),
        (["ROUTING_PROFILE"], "RoutingProfiles", ALL_METRICS),
        (["ROUTING_PROFILE"], "Queues", ALL_METRICS[:8]),
        (["QUEUE", "CHANNEL"], "Queues", ALL_METRICS),
        (["CHANNEL", "QUEUE"], "RoutingProfiles", ALL_METRICS),
        (["ROUTING_PROFILE", "QUEUE"], "RoutingProfiles", ALL_METRICS),
        (["QUEUE", "ROUTING_PROFILE"], "RoutingProfiles", ALL_METRICS),
        (["QUEUE", "AGENT_STATUS"], "Queues", ALL_METRICS[:1]),
        (["QUEUE", "SUBTYPE"], "Queues", ALL_METRICS),
        (["SUBTYPE"], "Queues", ALL_METRICS),
    ],
)
def test_dimensions_follow_the_groupings(
    centre: SimulatedCentre,
    client: BaseClient,
    groupings: list[str],
    filter_kind: str,
    metrics: list[dict[str, str]],
) -> None:
    ids = (
        standard_ids(centre)
        if filter_kind == "Queues"
        else [p.id for p in centre.topology.profiles]
    )
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={filter_kind: ids, "Channels": ["VOICE", "CHAT", "TASK"]},
        Groupings=groupings,
        CurrentMetrics=metrics,
    )
    rows = answer["MetricResults"]
    assert rows, "a busy morning has rows for every grouping"
    for result in rows:
        assert set(result["Dimensions"]) == {DIMENSION[g] for g in groupings}
        for name in ("Queue", "RoutingProfile", "AgentStatus"):
            if name in result["Dimensions"]:
                assert set(result["Dimensions"][name]) == {"Id", "Arn"}
    keys = [json.dumps(r["Dimensions"], sort_keys=True) for r in rows]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("filters", "groupings"),
    [
        ({}, ["QUEUE", "VALIDATION_TEST_TYPE"]),
        ({"RoutingStepExpressions": ['{"AttributeCondition":{}}']}, ["ROUTING_STEP_EXPRESSION"]),
        ({"Channels": ["EMAIL"]}, ["QUEUE", "CHANNEL"]),
    ],
)
def test_groupings_and_filters_the_centre_has_no_data_for_answer_validly(
    centre: SimulatedCentre, client: BaseClient, filters: dict[str, Any], groupings: list[str]
) -> None:
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": standard_ids(centre)[:1], **filters},
        Groupings=groupings,
        CurrentMetrics=ALL_METRICS[:1],
    )
    assert answer["MetricResults"] == [] and answer["ApproximateTotalCount"] == 0


def test_contact_filters_the_centre_has_no_data_for_leave_no_contacts(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    # No contact is a validation test: none pass the filter; agents still count.
    (row,) = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": standard_ids(centre), "ValidationTestTypes": ["TEST"]},
        CurrentMetrics=ALL_METRICS,
    )["MetricResults"]
    assert values(row)["CONTACTS_IN_QUEUE"] == 0 and (values(row)["AGENTS_ONLINE"] or 0) > 0


def test_agent_queues_and_unknown_queues_have_no_rows(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    agent_queues = [q.id for q in centre.topology.queues if q.queue_type == "AGENT"][:5]
    answer = client.get_current_metric_data(
        InstanceId=IID, Filters={"Queues": [*agent_queues, INSTANCE]}, CurrentMetrics=ALL_METRICS
    )
    assert answer["MetricResults"] == []


@pytest.mark.parametrize("hour", [3, 8, 10.5, 14, 19.9, 23])
def test_numbers_agree_at_any_time(
    centre: SimulatedCentre, client: BaseClient, clock: Clock, hour: float
) -> None:
    clock.now = DAY0 + hour * 3600
    for groupings in ([], ["QUEUE"], ["QUEUE", "CHANNEL"]):
        answer = client.get_current_metric_data(
            InstanceId=IID,
            Filters={
                "Queues": standard_ids(centre),
                "Channels": ["VOICE", "CHAT", "TASK", "EMAIL"],
            },
            Groupings=groupings,
            CurrentMetrics=ALL_METRICS,
        )
        for result in answer["MetricResults"]:
            check_row_invariants(values(result))


def test_contacts_in_queue_of_a_queue_is_the_sum_over_its_channels(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    def ask(groupings: list[str]) -> list[dict[str, Any]]:
        return list(
            client.get_current_metric_data(
                InstanceId=IID,
                Filters={
                    "Queues": standard_ids(centre),
                    "Channels": ["VOICE", "CHAT", "TASK", "EMAIL"],
                },
                Groupings=groupings,
                CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}],
            )["MetricResults"]
        )

    per_queue = {queue_of(r): values(r)["CONTACTS_IN_QUEUE"] for r in ask(["QUEUE"])}
    per_channel: dict[str, float] = {}
    for r in ask(["QUEUE", "CHANNEL"]):
        per_channel[queue_of(r)] = per_channel.get(queue_of(r), 0.0) + (
            values(r)["CONTACTS_IN_QUEUE"] or 0.0
        )
    assert sum(per_queue.values()) > 0
    assert {q: v for q, v in per_queue.items() if v} == {q: v for q, v in per_channel.items() if v}


def test_summary_row_matches_the_model(centre: SimulatedCentre, client: BaseClient) -> None:
    snap = centre.snapshot()
    queues = set(standard_ids(centre))
    (summary,) = client.get_current_metric_data(
        InstanceId=IID, Filters={"Queues": sorted(queues)}, CurrentMetrics=ALL_METRICS
    )["MetricResults"]
    row = values(summary)
    assert summary["Dimensions"] == {}
    serving = [a for a in snap.agents if any(q in queues for q, _ in a.agent.profile.pairs)]
    assert row["AGENTS_ONLINE"] == len(serving) > 0
    assert row["AGENTS_AVAILABLE"] == sum(a.state is AgentState.AVAILABLE for a in serving)
    assert row["CONTACTS_IN_QUEUE"] == len(snap.waiting) > 0
    assert row["CONTACTS_SCHEDULED"] == len(snap.scheduled)
    oldest = min(c.start for c in snap.waiting)
    # No groupings: the Value is in milliseconds though the Unit says SECONDS.
    assert row["OLDEST_CONTACT_AGE"] == floor((MORNING - oldest) * 1000)
    assert (
        summary["Collections"][
            ALL_METRICS.index({"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"})
        ]["Metric"]["Unit"]
        == "SECONDS"
    )
    assert len({a.agent.id for a in snap.agents}) == len(snap.agents)


def test_oldest_contact_age_is_seconds_with_groupings_and_milliseconds_without(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    oldest = [{"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"}]
    ids = standard_ids(centre)
    (summary,) = client.get_current_metric_data(
        InstanceId=IID, Filters={"Queues": ids}, CurrentMetrics=oldest
    )["MetricResults"]
    grouped = client.get_current_metric_data(
        InstanceId=IID, Filters={"Queues": ids}, Groupings=["QUEUE"], CurrentMetrics=oldest
    )["MetricResults"]
    milliseconds = values(summary)["OLDEST_CONTACT_AGE"]
    seconds = max(values(r)["OLDEST_CONTACT_AGE"] or 0 for r in grouped)
    assert milliseconds is not None and milliseconds > 1000
    assert seconds == milliseconds // 1000


def test_oldest_contact_age_is_zero_when_none_wait(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    snap = centre.snapshot()
    waiting = {c.queue_id for c in snap.waiting}
    idle_but_staffed = [q for q in standard_ids(centre) if q not in waiting]
    assert idle_but_staffed, "seed 7 has queues with nobody waiting at 10:30"
    for result in client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": idle_but_staffed},
        Groupings=["QUEUE"],
        CurrentMetrics=[
            {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
            {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
        ],
    )["MetricResults"]:
        assert values(result) == {"CONTACTS_IN_QUEUE": 0.0, "OLDEST_CONTACT_AGE": 0.0}


def test_idle_queues_are_left_out(
    centre: SimulatedCentre, client: BaseClient, clock: Clock
) -> None:
    clock.now = NIGHT
    snap = centre.snapshot()
    ids = standard_ids(centre)
    answer = client.get_current_metric_data(
        InstanceId=IID, Filters={"Queues": ids}, Groupings=["QUEUE"], CurrentMetrics=ALL_METRICS
    )
    present = {queue_of(r) for r in answer["MetricResults"]}
    missing = set(ids) - present
    assert present and missing, "at 03:00 some queues are closed and unstaffed"
    staffed = {q for a in snap.agents for q, _ in a.agent.profile.pairs}
    busy = {c.queue_id for c in (*snap.waiting, *snap.scheduled)}
    assert missing.isdisjoint(staffed | busy)
    assert present <= staffed | busy


def test_routing_profile_rows_count_the_contacts_of_their_queues(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    snap = centre.snapshot()
    profiles = centre.topology.profiles
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"RoutingProfiles": [p.id for p in profiles]},
        Groupings=["ROUTING_PROFILE"],
        CurrentMetrics=ALL_METRICS,
    )
    for result in answer["MetricResults"]:
        profile = centre.topology.profile_by_id[result["Dimensions"]["RoutingProfile"]["Id"]]
        row = values(result)
        assert row["CONTACTS_IN_QUEUE"] == sum(
            (c.queue_id, c.channel) in profile.pairs for c in snap.waiting
        )
        assert row["AGENTS_ONLINE"] == sum(a.agent.profile == profile for a in snap.agents)
        check_row_invariants(row)


def test_agent_status_rows_split_each_queues_agents(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    online = [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}]
    ids = standard_ids(centre)
    per_queue = {
        queue_of(r): values(r)["AGENTS_ONLINE"]
        for r in client.get_current_metric_data(
            InstanceId=IID, Filters={"Queues": ids}, Groupings=["QUEUE"], CurrentMetrics=online
        )["MetricResults"]
    }
    split: dict[str, float] = {}
    names = {s.id: s.name for s in centre.topology.statuses}
    seen_statuses = set()
    for r in client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": ids},
        Groupings=["QUEUE", "AGENT_STATUS"],
        CurrentMetrics=online,
    )["MetricResults"]:
        status = r["Dimensions"]["AgentStatus"]
        assert status["Arn"].endswith(f"/agent-state/{status['Id']}")
        seen_statuses.add(names[status["Id"]])
        split[queue_of(r)] = split.get(queue_of(r), 0.0) + (values(r)["AGENTS_ONLINE"] or 0.0)
    assert split == per_queue
    assert "Available" in seen_statuses and len(seen_statuses) > 1


def test_subtype_rows_count_contacts_and_cannot_count_agents(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    snap = centre.snapshot()
    rows = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": standard_ids(centre)},
        Groupings=["SUBTYPE"],
        CurrentMetrics=ALL_METRICS,
    )["MetricResults"]
    by_subtype = {r["Dimensions"]["Subtype"]: values(r) for r in rows}
    for subtype, row in by_subtype.items():
        assert row["CONTACTS_IN_QUEUE"] == sum(c.subtype == subtype for c in snap.waiting)
        assert row["AGENTS_ONLINE"] is None  # agents have no subtype: not calculable
    assert "connect:Telephony" in by_subtype
    filtered = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": standard_ids(centre), "Subtypes": ["connect:Chat"]},
        CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}],
    )["MetricResults"]
    chats = sum(c.subtype == "connect:Chat" for c in snap.waiting)
    assert [values(r)["CONTACTS_IN_QUEUE"] for r in filtered] == (
        [float(chats)] if filtered else []
    )


def test_estimated_wait_time_only_for_queue_and_channel(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    ewt = [
        {"Name": "ESTIMATED_WAIT_TIME", "Unit": "SECONDS"},
        {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
    ]
    filters = {"Queues": standard_ids(centre), "Channels": ["VOICE", "CHAT", "TASK"]}
    supported = client.get_current_metric_data(
        InstanceId=IID, Filters=filters, Groupings=["QUEUE", "CHANNEL"], CurrentMetrics=ewt
    )["MetricResults"]
    estimates = [values(r)["ESTIMATED_WAIT_TIME"] for r in supported]
    assert any(e is not None and e > 0 for e in estimates)
    other = client.get_current_metric_data(
        InstanceId=IID, Filters=filters, Groupings=["QUEUE"], CurrentMetrics=ewt
    )["MetricResults"]
    assert other and all("Value" not in r["Collections"][0] for r in other)


def test_sorting(centre: SimulatedCentre, client: BaseClient) -> None:
    ids = standard_ids(centre)

    def column(name: str, **params: Any) -> list[float]:
        answer = client.get_current_metric_data(
            InstanceId=IID,
            Filters={"Queues": ids},
            Groupings=["QUEUE"],
            CurrentMetrics=ALL_METRICS,
            **params,
        )
        return [values(r)[name] or 0.0 for r in answer["MetricResults"]]

    online = column("AGENTS_ONLINE")
    assert online == sorted(online, reverse=True)  # the default sort
    waiting = column(
        "CONTACTS_IN_QUEUE",
        SortCriteria=[{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"}],
    )
    assert waiting == sorted(waiting) and waiting[0] < waiting[-1]
    # Sorting by a metric that is not asked for works too.
    order = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": ids},
        Groupings=["QUEUE"],
        CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
        SortCriteria=[{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"}],
    )["MetricResults"]
    full = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": ids},
        Groupings=["QUEUE"],
        CurrentMetrics=ALL_METRICS,
        SortCriteria=[{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"}],
    )["MetricResults"]
    assert [queue_of(r) for r in order] == [queue_of(r) for r in full]


def test_numbers_move_with_the_clock(
    centre: SimulatedCentre, client: BaseClient, clock: Clock
) -> None:
    def ask() -> list[Any]:
        return list(
            client.get_current_metric_data(
                InstanceId=IID,
                Filters={"Queues": standard_ids(centre)},
                Groupings=["QUEUE"],
                CurrentMetrics=ALL_METRICS,
            )["MetricResults"]
        )

    first = ask()
    assert ask() == first
    clock.now += 3600
    assert ask() != first


def test_one_call_takes_a_few_milliseconds(centre: SimulatedCentre, clock: Clock) -> None:
    request = {
        "Filters": {"Queues": standard_ids(centre), "Channels": ["VOICE", "CHAT", "TASK"]},
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": ALL_METRICS,
    }
    durations = []
    for _ in range(20):
        clock.now += 5  # a poll every five seconds
        started = time.perf_counter()
        centre.get_current_metric_data(IID, request)
        durations.append(time.perf_counter() - started)
    assert statistics.median(durations) < 0.02
