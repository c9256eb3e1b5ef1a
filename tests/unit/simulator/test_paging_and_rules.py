"""The simulated centre through a real boto3 client (botocore's serializer, parser,
exceptions and retries all run; only the network is replaced): GetCurrentMetricData's
paging, and every request rule (tests/unit/test_rules.py) refused through the wire."""

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from connectmetrics.connectapi import catalogue
from connectmetrics.simulator import (
    SimulatedCentre,
)
from tests.rule_cases import ARN_BASE, INSTANCE, RULE_CASES, VALID_CASES
from tests.simulator_support import (
    ALL_METRICS,
    IID,
    MORNING,
    Clock,
    error_of,
    pages,
    send_raw,
    standard_ids,
)

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
