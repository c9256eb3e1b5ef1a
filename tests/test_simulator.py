"""The simulated contact centre, through a real boto3 client (botocore's serializer,
parser, exceptions and retries all run; only the network is replaced)."""

import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from math import floor
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from connectmetrics import catalogue
from connectmetrics.simulator import (
    CONTROL_URL_ENV,
    Faults,
    SimulatedCentre,
    call_counts,
    reset,
    set_faults,
    simulated_client,
)
from connectmetrics.simulator.activity import AgentState
from tests.test_rules import ARN_BASE, INSTANCE, RULE_CASES, VALID_CASES

IID = catalogue.SIMULATED_INSTANCE_ID
DAY0 = 1_767_052_800.0  # Tuesday 30 December 2025, 00:00 UTC
MORNING = DAY0 + 10.5 * 3600
NIGHT = DAY0 + 3 * 3600
ALL_METRICS = [{"Name": n, "Unit": str(m.unit)} for n, m in catalogue.METRICS.items()]
GET = "GetCurrentMetricData"
ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def centre(clock: Clock) -> SimulatedCentre:
    return SimulatedCentre(7, clock=clock)


@pytest.fixture
def client(centre: SimulatedCentre) -> BaseClient:
    return centre.client()


@pytest.fixture
def lax_client(centre: SimulatedCentre) -> BaseClient:
    """No client-side validation, so the simulator's own checks are what answers."""
    return centre.client(
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )


def standard_ids(centre: SimulatedCentre) -> list[str]:
    return [q.id for q in centre.topology.queues if q.queue_type == "STANDARD"]


def values(result: dict[str, Any]) -> dict[str, float | None]:
    return {c["Metric"]["Name"]: c.get("Value") for c in result["Collections"]}


def queue_of(result: dict[str, Any]) -> str:
    return str(result["Dimensions"]["Queue"]["Id"])


def pages(
    client: BaseClient, between: Callable[[], None] = lambda: None, **params: Any
) -> list[dict[str, Any]]:
    answers = [client.get_current_metric_data(InstanceId=IID, **params)]
    while "NextToken" in answers[-1]:
        between()
        answers.append(
            client.get_current_metric_data(
                InstanceId=IID, NextToken=answers[-1]["NextToken"], **params
            )
        )
    return answers


def send_raw(client: BaseClient, body: Any, instance_id: str = IID) -> dict[str, Any]:
    """GetCurrentMetricData with exactly this JSON body, through botocore all the same."""

    def replace(request: AWSRequest, **_: Any) -> None:
        request.data = json.dumps(body).encode()

    event = f"before-sign.connect.{GET}"
    client.meta.events.register(event, replace, unique_id="raw-body")
    try:
        return dict(
            client.get_current_metric_data(InstanceId=instance_id, Filters={}, CurrentMetrics=[])
        )
    finally:
        client.meta.events.unregister(event, unique_id="raw-body")


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


# -- the client and the instance ---------------------------------------------------


def test_a_real_boto3_connect_client_with_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the simulator must not open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    client = simulated_client(seed=7)
    assert isinstance(client, BaseClient)
    assert client.meta.service_model.service_name == "connect"
    assert client.meta.region_name == "eu-west-2"
    assert client.meta.config.retries["mode"] == "standard"
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": [client.list_queues(InstanceId=IID)["QueueSummaryList"][0]["Id"]]},
        CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_answers_to_its_instance_id_and_arn_and_nothing_else(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    arn = centre.topology.instance_arn
    assert arn == f"arn:aws:connect:eu-west-2:{arn.split(':')[4]}:instance/{IID}"
    for ref in (IID, arn):
        assert client.list_queues(InstanceId=ref)["QueueSummaryList"]
        assert client.list_routing_profiles(InstanceId=ref)["RoutingProfileSummaryList"]
        assert "MetricResults" in client.get_current_metric_data(
            InstanceId=ref,
            Filters={"Queues": standard_ids(centre)[:1]},
            CurrentMetrics=ALL_METRICS[:1],
        )
    other = INSTANCE
    for call in (
        lambda: client.list_queues(InstanceId=other),
        lambda: client.list_routing_profiles(InstanceId=other),
        lambda: client.get_current_metric_data(
            InstanceId=other,
            Filters={"Queues": standard_ids(centre)[:1]},
            CurrentMetrics=ALL_METRICS[:1],
        ),
    ):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
            call()
        assert error_of(caught)[:2] == ("ResourceNotFoundException", 404)


def test_instance_id_keyword_and_malformed_instance(lax_client: BaseClient) -> None:
    client = simulated_client(seed=7, instance_id=INSTANCE)
    assert client.list_queues(InstanceId=INSTANCE)["QueueSummaryList"]
    assert client.list_queues(InstanceId=ARN_BASE)["QueueSummaryList"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_queues(InstanceId=IID)
    with pytest.raises(lax_client.exceptions.InvalidParameterException) as caught:
        lax_client.list_queues(InstanceId="my-instance")
    assert "InstanceId" in error_of(caught)[2]


# -- the centre's shape ------------------------------------------------------------------


def test_default_centre(centre: SimulatedCentre, client: BaseClient) -> None:
    queues = client.list_queues(InstanceId=IID, MaxResults=1000)["QueueSummaryList"]
    standard = [q for q in queues if q["QueueType"] == "STANDARD"]
    agent_queues = [q for q in queues if q["QueueType"] == "AGENT"]
    assert len(standard) == 20
    assert {"Sales", "Billing", "Tech Support L1"} <= {q["Name"] for q in standard}
    assert len(agent_queues) == len(centre.topology.agents) == 60
    # Agent queues have no name and an ARN ending in queue/agent/<id>.
    assert all("Name" not in q and f"/queue/agent/{q['Id']}" in q["Arn"] for q in agent_queues)
    assert all(q["Arn"] == f"{centre.topology.instance_arn}/queue/{q['Id']}" for q in standard)
    assert {c for q in centre.topology.queues for c in q.channels} == {"VOICE", "CHAT", "TASK"}
    profiles = client.list_routing_profiles(InstanceId=IID)["RoutingProfileSummaryList"]
    assert len(profiles) == 3
    assert all(isinstance(p["LastModifiedTime"], datetime) for p in profiles)
    assert all(p["LastModifiedRegion"] == "eu-west-2" for p in profiles)


def test_size_keywords_and_names_with_markup() -> None:
    names = ["Sales", "<img src=x onerror=alert(1)>", 'Ventes & Co "FR"']
    centre = SimulatedCentre(
        3, queue_names=names, agents=10, routing_profiles=2, region="us-east-1"
    )
    client = centre.client()
    listed = client.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]
    assert [q["Name"] for q in listed] == names
    assert all(":us-east-1:" in q["Arn"] for q in listed)
    assert len(client.list_routing_profiles(InstanceId=IID)["RoutingProfileSummaryList"]) == 2
    assert len(centre.topology.agents) == 10
    assert len(SimulatedCentre(3, queues=45).topology.queues) == 45 + 60


@pytest.mark.parametrize(
    "kwargs",
    [
        {"queues": 2, "queue_names": ["a"]},
        {"queue_names": ["a", "a"]},
        {"queue_names": [""]},
        {"queues": 0},
        {"agents": -1},
        {"routing_profiles": 0},
        {"instance_id": "not-an-instance"},
        {"faults": Faults(), "control_redis_url": "redis://127.0.0.1:1/0"},
    ],
)
def test_bad_sizes_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SimulatedCentre(1, **kwargs)


def test_same_seed_same_centre_other_seed_other_centre() -> None:
    def shape(seed: int) -> list[tuple[str, str | None]]:
        return [(q.id, q.name) for q in SimulatedCentre(seed).topology.queues]

    assert shape(7) == shape(7)
    assert {i for i, _ in shape(7)}.isdisjoint({i for i, _ in shape(8)})


# -- ListQueues and ListRoutingProfiles ---------------------------------------------------


def test_list_queues_types_and_paginator() -> None:
    centre = SimulatedCentre(5, queues=30, agents=12)
    client = centre.client()
    by_type = {
        kind: client.list_queues(InstanceId=IID, QueueTypes=[kind])["QueueSummaryList"]
        for kind in ("STANDARD", "AGENT")
    }
    assert (len(by_type["STANDARD"]), len(by_type["AGENT"])) == (30, 12)
    both = client.list_queues(InstanceId=IID, QueueTypes=["STANDARD", "AGENT"])["QueueSummaryList"]
    assert len(both) == 42
    paged = list(
        client.get_paginator("list_queues").paginate(
            InstanceId=IID, QueueTypes=["STANDARD"], PaginationConfig={"PageSize": 7}
        )
    )
    assert [len(p["QueueSummaryList"]) for p in paged] == [7, 7, 7, 7, 2]
    assert [q["Id"] for p in paged for q in p["QueueSummaryList"]] == [
        q["Id"] for q in by_type["STANDARD"]
    ]
    # Default page: 100 queues.
    first = client.list_queues(InstanceId=IID)
    assert len(first["QueueSummaryList"]) == 42 and "NextToken" not in first
    profiles = list(
        client.get_paginator("list_routing_profiles").paginate(
            InstanceId=IID, PaginationConfig={"PageSize": 1}
        )
    )
    assert [len(p["RoutingProfileSummaryList"]) for p in profiles] == [1, 1, 1]


def test_list_queues_default_page_is_100() -> None:
    client = SimulatedCentre(5, queues=150, agents=0).client()
    first = client.list_queues(InstanceId=IID)
    assert len(first["QueueSummaryList"]) == 100
    second = client.list_queues(InstanceId=IID, NextToken=first["NextToken"])
    assert len(second["QueueSummaryList"]) == 50 and "NextToken" not in second


def test_list_queues_refuses_what_aws_refuses(lax_client: BaseClient) -> None:
    errors = lax_client.exceptions
    assert len(lax_client.list_queues(InstanceId=IID, MaxResults=1000)["QueueSummaryList"]) == 80
    for params, error in (
        ({"MaxResults": 1001}, errors.InvalidParameterException),
        ({"MaxResults": 0}, errors.InvalidParameterException),
        ({"QueueTypes": ["BOGUS"]}, errors.InvalidParameterException),
        ({"NextToken": "forged"}, errors.InvalidParameterException),
    ):
        with pytest.raises(error):
            lax_client.list_queues(InstanceId=IID, **params)
    token = lax_client.list_queues(InstanceId=IID, QueueTypes=["AGENT"], MaxResults=5)["NextToken"]
    with pytest.raises(errors.InvalidRequestException):
        lax_client.list_queues(InstanceId=IID, QueueTypes=["STANDARD"], NextToken=token)
    with pytest.raises(errors.InvalidRequestException):
        lax_client.list_routing_profiles(InstanceId=IID, NextToken=token)


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


# -- GetCurrentMetricData: numbers ------------------------------------------------------


def check_row_invariants(row: dict[str, float | None]) -> None:
    """The numbers of one row agree with each other (for the metrics the row has)."""
    for name, value in row.items():
        assert value is None or value >= 0, (name, value)
        if value is not None and catalogue.METRICS[name].unit == catalogue.Unit.COUNT:
            assert value == int(value)

    def known(*names: str) -> bool:
        return all(row.get(name) is not None for name in names)

    states = (
        "AGENTS_AVAILABLE",
        "AGENTS_ON_CONTACT",
        "AGENTS_AFTER_CONTACT_WORK",
        "AGENTS_NON_PRODUCTIVE",
        "AGENTS_ERROR",
    )
    for state in (*states, "AGENTS_STAFFED", "AGENTS_ON_CALL"):
        if known("AGENTS_ONLINE", state):
            assert row["AGENTS_ONLINE"] >= row[state]  # type: ignore[operator]
    if known("AGENTS_ONLINE", *states):
        # Every agent online is in exactly one of the five states.
        assert row["AGENTS_ONLINE"] == sum(row[s] or 0 for s in states)
    if known("AGENTS_STAFFED", *states[:3]):
        assert row["AGENTS_STAFFED"] == sum(row[s] or 0 for s in states[:3])
    if known("AGENTS_ON_CALL", "AGENTS_ON_CONTACT"):
        assert row["AGENTS_ON_CALL"] == row["AGENTS_ON_CONTACT"]
    if row.get("CONTACTS_IN_QUEUE") == 0 and "OLDEST_CONTACT_AGE" in row:
        assert row["OLDEST_CONTACT_AGE"] == 0


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


# -- pagination ---------------------------------------------------------------------------


def test_pages_add_up_to_the_whole_answer(centre: SimulatedCentre, client: BaseClient) -> None:
    params: dict[str, Any] = {
        "Filters": {"Queues": standard_ids(centre), "Channels": ["VOICE", "CHAT", "TASK"]},
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": ALL_METRICS,
    }
    whole = client.get_current_metric_data(InstanceId=IID, **params)
    assert "NextToken" not in whole
    paged = pages(client, MaxResults=7, **params)
    assert all(len(p["MetricResults"]) <= 7 for p in paged) and len(paged) > 2
    assert [r for p in paged for r in p["MetricResults"]] == whole["MetricResults"]
    assert {p["ApproximateTotalCount"] for p in paged} == {whole["ApproximateTotalCount"]}


def test_default_max_results_is_100() -> None:
    client = SimulatedCentre(7, queues=120, clock=Clock(MORNING)).client()
    centre_ids = [
        q["Id"]
        for q in client.list_queues(InstanceId=IID, QueueTypes=["STANDARD"], MaxResults=1000)[
            "QueueSummaryList"
        ]
    ]
    first = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": centre_ids[:100]},
        Groupings=["QUEUE"],
        CurrentMetrics=ALL_METRICS[:1],
    )
    assert len(first["MetricResults"]) == first["ApproximateTotalCount"] == 100
    assert "NextToken" not in first
    two = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": centre_ids[:100], "Channels": ["VOICE", "CHAT"]},
        Groupings=["QUEUE", "CHANNEL"],
        CurrentMetrics=ALL_METRICS[:1],
    )
    assert len(two["MetricResults"]) == 100 < two["ApproximateTotalCount"] and "NextToken" in two


def test_every_page_shows_the_same_moment(
    centre: SimulatedCentre, client: BaseClient, clock: Clock
) -> None:
    params: dict[str, Any] = {
        "Filters": {"Queues": standard_ids(centre)},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": ALL_METRICS,
    }
    whole = client.get_current_metric_data(InstanceId=IID, **params)

    def later() -> None:
        clock.now += 60

    paged = pages(client, between=later, MaxResults=4, **params)
    assert len(paged) == 5 and clock.now == MORNING + 240
    assert {p["DataSnapshotTime"] for p in paged} == {whole["DataSnapshotTime"]}
    assert [r for p in paged for r in p["MetricResults"]] == whole["MetricResults"]


def test_next_token_expires_after_five_minutes(
    centre: SimulatedCentre, client: BaseClient, clock: Clock
) -> None:
    params: dict[str, Any] = {
        "Filters": {"Queues": standard_ids(centre)},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": ALL_METRICS,
    }
    token = client.get_current_metric_data(InstanceId=IID, MaxResults=2, **params)["NextToken"]
    clock.now += catalogue.NEXT_TOKEN_TTL_SECONDS - 1
    second = client.get_current_metric_data(InstanceId=IID, MaxResults=2, NextToken=token, **params)
    assert second["DataSnapshotTime"] == datetime.fromtimestamp(MORNING, UTC)
    # The second page's token was made later, so it lives longer than the first.
    clock.now += 1
    with pytest.raises(client.exceptions.InvalidRequestException) as caught:
        client.get_current_metric_data(InstanceId=IID, MaxResults=2, NextToken=token, **params)
    assert (
        error_of(caught)[0:2] == ("InvalidRequestException", 400)
        and "expired" in error_of(caught)[2]
    )
    assert client.get_current_metric_data(
        InstanceId=IID, MaxResults=2, NextToken=second["NextToken"], **params
    )


@pytest.mark.parametrize(
    "change",
    [
        {"Groupings": ["QUEUE", "CHANNEL"], "Filters": {"Channels": ["VOICE"]}},
        {"CurrentMetrics": ALL_METRICS[:3]},
        {"SortCriteria": [{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"}]},
        {"Filters": {"Channels": ["VOICE"]}},
    ],
)
def test_next_token_is_refused_when_the_parameters_change(
    centre: SimulatedCentre, client: BaseClient, change: dict[str, Any]
) -> None:
    params: dict[str, Any] = {
        "Filters": {"Queues": standard_ids(centre)},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": ALL_METRICS,
    }
    token = client.get_current_metric_data(InstanceId=IID, MaxResults=3, **params)["NextToken"]
    changed = {**params, **change, "Filters": {**params["Filters"], **change.get("Filters", {})}}
    with pytest.raises(client.exceptions.InvalidRequestException) as caught:
        client.get_current_metric_data(InstanceId=IID, MaxResults=3, NextToken=token, **changed)
    assert "differ" in error_of(caught)[2]
    # The page size may change between pages; an ARN for an ID is the same request.
    arns = [f"{centre.topology.instance_arn}/queue/{q}" for q in standard_ids(centre)]
    same = {**params, "Filters": {"Queues": arns}}
    assert client.get_current_metric_data(InstanceId=IID, MaxResults=9, NextToken=token, **same)[
        "MetricResults"
    ]


def test_foreign_or_edited_tokens_are_refused(
    centre: SimulatedCentre, client: BaseClient, clock: Clock
) -> None:
    params: dict[str, Any] = {
        "Filters": {"Queues": standard_ids(centre)},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": ALL_METRICS,
    }
    token = client.get_current_metric_data(InstanceId=IID, MaxResults=3, **params)["NextToken"]
    edited = ("A" if token[0] != "A" else "B") + token[1:]
    other_seed = SimulatedCentre(8, clock=clock).client()
    for bad, caller in ((edited, client), ("not-a-token", client), (token, other_seed)):
        with pytest.raises(caller.exceptions.InvalidParameterException):
            caller.get_current_metric_data(InstanceId=IID, MaxResults=3, NextToken=bad, **params)
    # Another centre with the same seed (another process, say) reads it: nothing is shared.
    twin = SimulatedCentre(7, clock=clock).client()
    assert twin.get_current_metric_data(InstanceId=IID, MaxResults=3, NextToken=token, **params)[
        "MetricResults"
    ]


# -- every rule, through the wire ------------------------------------------------------


@pytest.mark.parametrize(("req", "field", "error", "words"), RULE_CASES)
def test_each_rule_is_refused_with_the_right_exception(
    lax_client: BaseClient, req: Any, field: str, error: str, words: str
) -> None:
    body = dict(req) if isinstance(req, dict) else req
    instance = body.pop("InstanceId", IID) if isinstance(body, dict) else IID
    with pytest.raises(getattr(lax_client.exceptions, error)) as caught:
        send_raw(lax_client, body, instance)
    code, status, message = error_of(caught)
    assert (code, status) == (error, 400)
    assert words in message and message.startswith(f"{field or 'Request'}: ")


@pytest.mark.parametrize("req", VALID_CASES)
def test_valid_requests_are_answered(
    centre: SimulatedCentre, lax_client: BaseClient, req: dict[str, Any]
) -> None:
    body = dict(req)
    instance = {INSTANCE: IID, ARN_BASE: centre.topology.instance_arn}.get(
        body.pop("InstanceId", IID), IID
    )
    answer = send_raw(lax_client, body, instance)
    assert isinstance(answer["MetricResults"], list)


def test_routing_profile_grouping_without_queues_or_routing_profiles_is_refused(
    lax_client: BaseClient,
) -> None:
    with pytest.raises(lax_client.exceptions.InvalidRequestException) as caught:
        send_raw(
            lax_client,
            {
                "Filters": {"Channels": ["VOICE"]},
                "Groupings": ["ROUTING_PROFILE"],
                "CurrentMetrics": ALL_METRICS[:1],
            },
        )
    assert (
        "ROUTING_PROFILE grouping requires a Queues or RoutingProfiles filter"
        in error_of(caught)[2]
    )


def test_botocore_lets_through_what_only_the_service_refuses(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    # botocore checks types and minimums, not combinations, enums or maximums.
    with pytest.raises(client.exceptions.InvalidRequestException) as caught:
        client.get_current_metric_data(
            InstanceId=IID,
            Filters={"Queues": standard_ids(centre)},
            Groupings=["QUEUE", "CHANNEL"],
            CurrentMetrics=ALL_METRICS,
        )
    assert error_of(caught)[2] == "Groupings: CHANNEL grouping requires a Channels filter"
    with pytest.raises(client.exceptions.InvalidParameterException) as many:
        client.get_current_metric_data(
            InstanceId=IID,
            Filters={"Queues": standard_ids(centre), "Channels": ["VOICE", "FAX"]},
            CurrentMetrics=[{"Name": "OLDEST_CONTACT_AGE", "Unit": "COUNT"}],
            MaxResults=500,
        )
    # Every broken rule is named in the message.
    message = error_of(many)[2]
    assert "Filters.Channels" in message and "CurrentMetrics" in message and "MaxResults" in message


def test_an_operation_the_simulator_does_not_implement(client: BaseClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.describe_queue(InstanceId=IID, QueueId=INSTANCE)
    assert error_of(caught)[:2] == ("NotImplemented", 501)


# -- faults, in process ---------------------------------------------------------------


def faulty(faults: Faults, attempts: int = 2) -> BaseClient:
    return simulated_client(
        seed=7,
        faults=faults,
        clock=Clock(MORNING),
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def one_call(client: BaseClient) -> dict[str, Any]:
    return dict(
        client.get_current_metric_data(
            InstanceId=IID, Filters={"Queues": [INSTANCE]}, CurrentMetrics=ALL_METRICS[:1]
        )
    )


def test_throttling_is_retried_by_botocore_standard_mode() -> None:
    faults = Faults(throttle=1.0)
    client = faulty(faults, attempts=2)
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        one_call(client)
    assert error_of(caught)[:2] == ("ThrottlingException", 429)
    assert faults.calls[GET] == 2  # the first attempt and botocore's retry
    # Every second call throttled: each throttled call's retry gets through.
    faults.reset()
    faults.throttle = 0.5
    assert one_call(client)["ResponseMetadata"]["RetryAttempts"] == 0
    assert one_call(client)["ResponseMetadata"]["RetryAttempts"] == 1
    assert faults.call_counts() == {GET: 3}


def test_internal_errors_are_retried_then_raised() -> None:
    faults = Faults(internal_error=True)
    assert faults.internal_error == 1.0
    client = faulty(faults, attempts=2)
    with pytest.raises(client.exceptions.InternalServiceException) as caught:
        one_call(client)
    assert error_of(caught)[:2] == ("InternalServiceException", 500)
    assert faults.calls[GET] == 2


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ("access_denied", "AccessDeniedException", 403),
        ("not_found", "ResourceNotFoundException", 404),
    ],
)
def test_access_denied_and_not_found_are_not_retried(fault: str, code: str, status: int) -> None:
    faults = Faults(**{fault: True})
    client = faulty(faults, attempts=3)
    with pytest.raises(getattr(client.exceptions, code)) as caught:
        client.list_queues(InstanceId=IID)
    assert error_of(caught)[:2] == (code, status)
    assert faults.call_counts() == {"ListQueues": 1}


def test_latency_and_changing_faults_at_run_time() -> None:
    faults = Faults()
    client = faulty(faults, attempts=1)
    one_call(client)
    faults.latency = 0.2
    started = time.perf_counter()
    one_call(client)
    assert time.perf_counter() - started >= 0.2
    faults.latency = 0
    faults.throttle = 1
    with pytest.raises(client.exceptions.ThrottlingException):
        one_call(client)
    faults.throttle = 0
    one_call(client)
    client.list_routing_profiles(InstanceId=IID)
    assert faults.call_counts() == {GET: 4, "ListRoutingProfiles": 1}


def test_faults_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="throttle"):
        Faults(throttle=1.5)
    faults = Faults()
    with pytest.raises(ValueError, match="latency"):
        faults.latency = -1
    with pytest.raises(TypeError):
        Faults(slow=True)  # type: ignore[call-arg]


# -- faults, across processes through Redis -------------------------------------------------


def test_faults_and_counts_in_redis(redis_url: str) -> None:
    centre = SimulatedCentre(7, control_redis_url=redis_url, clock=Clock(MORNING))
    assert centre.faults is None
    client = centre.client(config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    one_call(client)
    set_faults(redis_url, IID, throttle=1.0)
    with pytest.raises(client.exceptions.ThrottlingException):
        one_call(client)
    assert call_counts(redis_url, IID) == {GET: 3} == centre.call_counts()
    set_faults(redis_url, IID)  # none
    one_call(client)
    # Keys are per instance: another instance on the same Redis is untouched.
    set_faults(redis_url, INSTANCE, access_denied=True)
    one_call(client)
    assert call_counts(redis_url, INSTANCE) == {}
    reset(redis_url, IID)
    assert call_counts(redis_url, IID) == {}


def test_the_environment_names_the_control_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONTROL_URL_ENV, redis_url)
    set_faults(redis_url, IID, not_found=True)
    client = simulated_client(seed=7, config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_queues(InstanceId=IID)
    assert call_counts(redis_url, IID) == {"ListQueues": 1}
    # Faults given in process win over the environment.
    local = Faults()
    simulated_client(seed=7, faults=local).list_queues(InstanceId=IID)
    assert local.call_counts() == {"ListQueues": 1} and call_counts(redis_url, IID) == {
        "ListQueues": 1
    }


WORKER = """
import sys
from botocore.config import Config
from connectmetrics.simulator import simulated_client
retries = {"mode": "standard", "total_max_attempts": 2}
client = simulated_client(seed=7, config=Config(retries=retries))
try:
    client.list_routing_profiles(InstanceId=sys.argv[1])
    print("ok")
except client.exceptions.ThrottlingException:
    print("throttled")
"""


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    import os

    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_another_process_is_throttled_and_counted_through_redis(redis_url: str) -> None:
    env = {CONTROL_URL_ENV: redis_url}
    set_faults(redis_url, IID, throttle=1.0)
    assert run_python(WORKER, IID, env=env).strip() == "throttled"
    assert call_counts(redis_url, IID) == {"ListRoutingProfiles": 2}
    set_faults(redis_url, IID)
    assert run_python(WORKER, IID, env=env).strip() == "ok"
    assert call_counts(redis_url, IID) == {"ListRoutingProfiles": 3}


def test_an_unreachable_control_store_is_an_internal_error(redis_server: Any) -> None:
    from tests.conftest import free_port

    client = simulated_client(
        seed=7,
        control_redis_url=f"redis://127.0.0.1:{free_port()}/0",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(client.exceptions.InternalServiceException) as caught:
        client.list_queues(InstanceId=IID)
    assert "control store" in error_of(caught)[2]


# -- the same centre in every process ----------------------------------------------------

SNAPSHOT = """
import json, sys
from connectmetrics.catalogue import METRICS, SIMULATED_INSTANCE_ID as IID
from connectmetrics.simulator import simulated_client
client = simulated_client(seed=int(sys.argv[1]), clock=lambda: float(sys.argv[2]))
listed = client.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]
ids = [q["Id"] for q in listed]
first = client.get_current_metric_data(
    InstanceId=IID,
    Filters={"Queues": ids, "Channels": ["VOICE", "CHAT", "TASK"]},
    Groupings=["QUEUE", "CHANNEL"],
    CurrentMetrics=[{"Name": n, "Unit": str(m.unit)} for n, m in METRICS.items()],
    MaxResults=10,
)
first.pop("ResponseMetadata")
print(json.dumps({"ids": ids, "first": first}, default=str, sort_keys=True))
"""


def test_two_processes_with_the_same_seed_and_time_see_the_same_centre() -> None:
    one = run_python(SNAPSHOT, "7", str(MORNING))
    two = run_python(SNAPSHOT, "7", str(MORNING))
    assert one == two
    answer = json.loads(one)
    assert answer["first"]["MetricResults"] and answer["first"]["NextToken"]
    # And the same as this process sees.
    here = SimulatedCentre(7, clock=Clock(MORNING)).client()
    assert answer["ids"] == [
        q["Id"]
        for q in here.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]
    ]
    local = here.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": answer["ids"], "Channels": ["VOICE", "CHAT", "TASK"]},
        Groupings=["QUEUE", "CHANNEL"],
        CurrentMetrics=ALL_METRICS,
        MaxResults=10,
    )
    assert local["MetricResults"] == answer["first"]["MetricResults"]
    assert local["NextToken"] == answer["first"]["NextToken"]
    assert run_python(SNAPSHOT, "8", str(MORNING)) != one


def test_attach_to_an_existing_client(centre: SimulatedCentre) -> None:
    import boto3

    plain = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="y", region_name="eu-west-2"
    ).client("connect")
    centre.attach(plain)
    assert len(plain.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]) == 20
