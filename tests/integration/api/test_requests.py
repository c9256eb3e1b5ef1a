"""POST /metrics/current/<InstanceId>: validation (a clear error naming the field and the rule)
and the answer, AWS-shaped in the envelope."""

import re
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from django.test import Client
from django.utils import timezone

from connectmetrics.api import cache as cache_module
from connectmetrics.api.auth import issue_token
from connectmetrics.client import client as client_module
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import METRICS, SIMULATED_INSTANCE_ID, Channel
from connectmetrics.models import ConnectInstance, Queue
from tests.api_support import (
    error_of,
    metrics,
    post,
    queue_body,
    rows_of,
)

pytest_plugins = ["tests.api_fixtures"]


pytestmark = pytest.mark.django_db

Q1 = "11111111-1111-4111-8111-111111111111"
Q2 = "22222222-2222-4222-8222-222222222222"
Q3 = "33333333-3333-4333-8333-333333333333"
ACCOUNT = "123456789012"
ARN = f"arn:aws:connect:eu-west-2:{ACCOUNT}:instance/{SIMULATED_INSTANCE_ID}"


def minimal(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Filters": {"Queues": [Q1]}, "CurrentMetrics": metrics("AGENTS_ONLINE")}
    body.update(changes)
    return body


# --- validation ----------------------------------------------------------------------------

# (body, the field the message must name, words of the rule)
RULE_CASES: dict[str, tuple[Any, str, str]] = {
    "unknown field": (minimal(Colour="blue"), "Colour", "not a parameter"),
    "unknown filter": (
        minimal(Filters={"Queues": [Q1], "Skills": ["x"]}),
        "Skills",
        "not a filter",
    ),
    "missing Filters": ({"CurrentMetrics": metrics("AGENTS_ONLINE")}, "Filters", "required"),
    "missing CurrentMetrics": ({"Filters": {"Queues": [Q1]}}, "CurrentMetrics", "required"),
    "no metric": (minimal(CurrentMetrics=[]), "CurrentMetrics", "at least one"),
    "unknown metric": (
        minimal(CurrentMetrics=[{"Name": "AGENTS_HAPPY", "Unit": "COUNT"}]),
        "CurrentMetrics",
        "not a metric",
    ),
    "wrong unit": (
        minimal(CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "SECONDS"}]),
        "CurrentMetrics",
        "takes Unit COUNT",
    ),
    "MetricId": (
        minimal(CurrentMetrics=[{"MetricId": "x"}]),
        "CurrentMetrics",
        "MetricId is not supported",
    ),
    "metric twice": (
        minimal(CurrentMetrics=metrics("AGENTS_ONLINE", "AGENTS_ONLINE")),
        "CurrentMetrics",
        "asked for twice",
    ),
    "MaxResults 0": (minimal(MaxResults=0), "MaxResults", "from 1 to 100"),
    "MaxResults 101": (minimal(MaxResults=101), "MaxResults", "from 1 to 100"),
    "MaxResults text": (minimal(MaxResults="10"), "MaxResults", "whole number"),
    "MaxResults fraction": (minimal(MaxResults=2.5), "MaxResults", "whole number"),
    "MaxResults true": (minimal(MaxResults=True), "MaxResults", "whole number"),
    "two sort criteria": (
        minimal(
            SortCriteria=[
                {"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"},
                {"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"},
            ]
        ),
        "SortCriteria",
        "at most 1",
    ),
    "sort on SLOTS_ACTIVE": (
        minimal(SortCriteria=[{"SortByMetric": "SLOTS_ACTIVE", "SortOrder": "ASCENDING"}]),
        "SortCriteria",
        "sorting on SLOTS_ACTIVE is not supported",
    ),
    "sort order": (
        minimal(SortCriteria=[{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "UP"}]),
        "SortCriteria",
        "SortOrder 'UP'",
    ),
    "three groupings": (
        minimal(
            Filters={"Queues": [Q1], "Channels": ["VOICE"]},
            Groupings=["QUEUE", "CHANNEL", "ROUTING_PROFILE"],
        ),
        "Groupings",
        "at most 2",
    ),
    "grouping twice": (minimal(Groupings=["QUEUE", "QUEUE"]), "Groupings", "same grouping twice"),
    "CHANNEL grouping without Channels": (
        minimal(Groupings=["CHANNEL"]),
        "Groupings",
        "CHANNEL grouping requires a Channels filter",
    ),
    "ROUTING_PROFILE grouping needs RoutingProfiles for queue metrics": (
        minimal(Groupings=["ROUTING_PROFILE"], CurrentMetrics=metrics("CONTACTS_IN_QUEUE")),
        "Groupings",
        "requires a RoutingProfiles filter",
    ),
    "AGENT_STATUS not primary": (
        minimal(Groupings=["ROUTING_PROFILE", "AGENT_STATUS"]),
        "Groupings",
        "QUEUE as the primary",
    ),
    "AGENT_STATUS with other metrics": (
        minimal(Groupings=["QUEUE", "AGENT_STATUS"], CurrentMetrics=metrics("CONTACTS_IN_QUEUE")),
        "CurrentMetrics",
        "only AGENTS_ONLINE",
    ),
    "Queues and RoutingProfiles": (
        minimal(Filters={"Queues": [Q1], "RoutingProfiles": [Q2]}),
        "Filters",
        "cannot be filtered together",
    ),
    "neither Queues nor RoutingProfiles": (
        minimal(Filters={"Channels": ["VOICE"]}),
        "Filters",
        "must include Queues or RoutingProfiles",
    ),
    "101 queues": (
        minimal(Filters={"Queues": [f"{n:08d}-1111-4111-8111-111111111111" for n in range(101)]}),
        "Filters.Queues",
        "at most 100",
    ),
    "not a queue ID": (
        minimal(Filters={"Queues": ["sales"]}),
        "Filters.Queues",
        "neither a queue ID",
    ),
    "five channels": (
        minimal(Filters={"Queues": [Q1], "Channels": [*Channel, "VOICE"]}),
        "Filters.Channels",
        "at most 4",
    ),
    "unknown channel": (
        minimal(Filters={"Queues": [Q1], "Channels": ["FAX"]}),
        "Filters.Channels",
        "not a channel",
    ),
    "routing step expressions without their grouping": (
        minimal(Filters={"Queues": [Q1], "RoutingStepExpressions": ["x"]}),
        "Filters.RoutingStepExpressions",
        "ROUTING_STEP_EXPRESSION",
    ),
    "empty NextToken": (minimal(NextToken=""), "NextToken", "non-empty string"),
    "body is a list": ([minimal()], "Request", "must be a JSON object"),
    "body is a number": (3, "Request", "must be a JSON object"),
}


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_each_rule_is_a_validation_error_naming_the_field_and_the_rule(
    client: Client, centre: ConnectInstance, token: str, case: str
) -> None:
    body, field, rule = RULE_CASES[case]
    status, code, message = error_of(post(client, centre.instance_id, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert field in message and rule in message
    # The same words as the admin form and the simulator: the rules module's.
    for violation in rules.check_request(body):
        assert violation.message in message


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{bad json", "is not valid JSON"),
        (b'{"MaxResults": NaN}', "NaN is not a JSON number"),
        (b"", "is empty"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"\xff\xfe\x00garbage", "is not valid JSON"),
    ],
)
def test_a_body_that_is_not_json_is_a_validation_error(
    client: Client, centre: ConnectInstance, token: str, raw: bytes, words: str
) -> None:
    status, code, message = error_of(post(client, centre.instance_id, None, token=token, raw=raw))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("Request body:") and words in message


def test_an_instance_id_in_the_body_must_be_the_one_in_the_url(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    other = "99999999-9999-4999-8999-999999999999"
    status, code, message = error_of(
        post(client, centre.instance_id, minimal(InstanceId=other), token=token)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("InstanceId:") and other in message


# --- the answer ----------------------------------------------------------------------------


def test_the_answer_is_aws_shaped_in_the_envelope_sorted_by_agents_online_by_default(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    body = queue_body(queue_ids, "OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE", "AGENTS_ONLINE")
    response = post(client, centre.instance_id, body, token=token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert set(payload) == {"success", "data"} and payload["success"] is True
    data = payload["data"]
    assert set(data) == {"MetricResults", "NextToken", "DataSnapshotTime", "ApproximateTotalCount"}
    assert data["NextToken"] is None
    assert data["ApproximateTotalCount"] == len(queue_ids) == len(data["MetricResults"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["DataSnapshotTime"])
    first = data["MetricResults"][0]
    assert set(first) == {"Dimensions", "Collections"}
    assert first["Dimensions"]["Queue"]["Id"] in queue_ids
    # Collections in the order asked, each with its catalogue unit.
    assert [c["Metric"] for c in first["Collections"]] == [
        {"Name": name, "Unit": str(METRICS[name].unit)}
        for name in ("OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE", "AGENTS_ONLINE")
    ]
    online = [values["AGENTS_ONLINE"] or 0.0 for _, values in rows_of(response)]
    assert online == sorted(online, reverse=True)
    assert {queue for queue, _ in rows_of(response)} == set(queue_ids)


def test_sorting_as_asked_even_on_a_metric_not_asked_for(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    asked = queue_body(
        queue_ids,
        "CONTACTS_IN_QUEUE",
        SortCriteria=[{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"}],
    )
    sorted_rows = [
        queue for queue, _ in rows_of(post(client, centre.instance_id, asked, token=token))
    ]
    both = queue_body(queue_ids, "CONTACTS_IN_QUEUE", "AGENTS_ONLINE")
    online = {
        q: v["AGENTS_ONLINE"] or 0.0
        for q, v in rows_of(post(client, centre.instance_id, both, token=token))
    }
    assert [online[q] for q in sorted_rows] == sorted(online[q] for q in sorted_rows)
    assert all(
        list(v) == ["CONTACTS_IN_QUEUE"]
        for _, v in rows_of(post(client, centre.instance_id, asked, token=token))
    )


@pytest.fixture
def stubbed(
    api_embedded: None, monkeypatch: pytest.MonkeyPatch
) -> tuple[ConnectInstance, Stubber, str]:
    """A real-Connect instance whose boto3 client answers from botocore's Stubber."""
    instance = ConnectInstance.objects.create(
        name="Prod", region="eu-west-2", instance_id=SIMULATED_INSTANCE_ID.replace("0001", "0002")
    )
    for queue_id in (Q1, Q2, Q3):
        Queue.objects.create(instance=instance, queue_id=queue_id, name=queue_id[:4])
    connect = boto3.client(
        "connect", region_name="eu-west-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    monkeypatch.setattr(client_module, "client_for", lambda _: connect)
    monkeypatch.setattr(cache_module, "client_for", lambda _: connect)
    stubber = Stubber(connect)
    stubber.activate()
    return instance, stubber, issue_token("t", [instance])[1]


def collection(name: str, value: float) -> dict[str, Any]:
    return {"Metric": {"Name": name, "Unit": str(METRICS[name].unit)}, "Value": value}


def test_oldest_contact_age_is_in_seconds_without_groupings_unlike_aws(
    client: Client, stubbed: tuple[ConnectInstance, Stubber, str]
) -> None:
    instance, stubber, token = stubbed
    stubber.add_response(
        "get_current_metric_data",
        {
            # AWS: no Groupings, so 24113.0 means 24.113 s although the Unit says SECONDS.
            "MetricResults": [
                {
                    "Dimensions": {},
                    "Collections": [
                        collection("OLDEST_CONTACT_AGE", 24113.0),
                        collection("AGENTS_ONLINE", 4.0),
                    ],
                }
            ],
            "DataSnapshotTime": datetime(2026, 11, 26, 8, 3, 22, 123000, tzinfo=UTC),
        },
    )
    body = {"Filters": {"Queues": [Q1, Q2]}, "CurrentMetrics": metrics("OLDEST_CONTACT_AGE")}
    response = post(client, instance.instance_id, body, token=token)
    assert rows_of(response) == [("", {"OLDEST_CONTACT_AGE": 24.113})]
    assert response.json()["data"]["DataSnapshotTime"] == "2026-11-26T08:03:22.123Z"


def test_idle_configured_queues_appear_as_zeros(
    client: Client, stubbed: tuple[ConnectInstance, Stubber, str]
) -> None:
    instance, stubber, token = stubbed
    stubber.add_response(
        "get_current_metric_data",
        {
            "MetricResults": [
                {
                    "Dimensions": {"Queue": {"Id": Q1, "Arn": "arn"}},
                    "Collections": [
                        collection("CONTACTS_IN_QUEUE", 3.0),
                        collection("AGENTS_ONLINE", 2.0),
                    ],
                }
            ],
            "DataSnapshotTime": timezone.now(),
        },
    )
    body = {
        "Filters": {"Queues": [Q1, Q2, Q3]},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": metrics("CONTACTS_IN_QUEUE", "AGENTS_ONLINE"),
    }
    rows = dict(rows_of(post(client, instance.instance_id, body, token=token)))
    assert rows == {
        Q1: {"CONTACTS_IN_QUEUE": 3.0, "AGENTS_ONLINE": 2.0},
        Q2: {"CONTACTS_IN_QUEUE": 0.0, "AGENTS_ONLINE": 0.0},
        Q3: {"CONTACTS_IN_QUEUE": 0.0, "AGENTS_ONLINE": 0.0},
    }
