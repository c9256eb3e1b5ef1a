"""The simulated centre through a real boto3 client (botocore's serializer, parser,
exceptions and retries all run; only the network is replaced): the client and the instance,
the centre's shape, ListQueues and ListRoutingProfiles."""

import socket
from datetime import datetime
from typing import Any

import pytest
from botocore.client import BaseClient

from connectmetrics.simulator import (
    Faults,
    SimulatedCentre,
    simulated_client,
)
from tests.rule_cases import ARN_BASE, INSTANCE
from tests.simulator_support import ALL_METRICS, IID, error_of, standard_ids

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


def test_attach_to_an_existing_client(centre: SimulatedCentre) -> None:
    import boto3

    plain = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="y", region_name="eu-west-2"
    ).client("connect")
    centre.attach(plain)
    assert len(plain.list_queues(InstanceId=IID, QueueTypes=["STANDARD"])["QueueSummaryList"]) == 20
