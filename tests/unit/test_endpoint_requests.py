"""The user data and metric data endpoints' requests: the simulated centre's rules (one
place), each refusal naming the field and the rule, and what is sent upstream and keyed."""

import time
from typing import Any

import pytest

from connectmetrics.agents.operation import USER_DATA
from connectmetrics.api.metric_data import METRIC_DATA
from connectmetrics.connectapi import rules
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator.errors import ApiError

INSTANCE_ID = "11111111-2222-4333-8444-555555555555"
ACCOUNT = "123456789012"
ARN = f"arn:aws:connect:eu-west-2:{ACCOUNT}:instance/{INSTANCE_ID}"
QUEUE = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
QUEUE_ARN = f"{ARN}/queue/{QUEUE}"
OTHER = "99999999-2222-4333-8444-555555555555"

INSTANCE = ConnectInstance(
    name="Centre", region="eu-west-2", instance_id=INSTANCE_ID, instance_arn=ARN
)


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.code, caught.value.message


@pytest.mark.parametrize(
    ("body", "code", "starts"),
    [
        ([], rules.INVALID_REQUEST, "Request: must be a JSON object"),
        ({"Filters": {"Queues": [QUEUE]}, "Sort": 1}, rules.INVALID_REQUEST, "Request: Sort is"),
        ({}, rules.INVALID_PARAMETER, "Filters: required, an object"),
        ({"Filters": {}}, rules.INVALID_REQUEST, "Filters: give exactly one of"),
        (
            {"Filters": {"Queues": [QUEUE], "RoutingProfiles": [QUEUE]}},
            rules.INVALID_REQUEST,
            "Filters: give exactly one of Queues, RoutingProfiles, Agents and "
            "UserHierarchyGroups; got 2",
        ),
        ({"Filters": {"Queues": []}}, rules.INVALID_PARAMETER, "Filters.Queues: takes 1 to 100"),
        (
            {"Filters": {"Queues": [QUEUE] * 101}},
            rules.INVALID_PARAMETER,
            "Filters.Queues: takes 1 to 100 entries; got 101",
        ),
        (
            {"Filters": {"UserHierarchyGroups": [QUEUE, QUEUE]}},
            rules.INVALID_PARAMETER,
            "Filters.UserHierarchyGroups: takes 1 to 1 entries",
        ),
        (
            {"Filters": {"Queues": [f"{ARN}/routing-profile/{QUEUE}"]}},
            rules.INVALID_PARAMETER,
            "Filters.Queues: ",
        ),
        (
            {"Filters": {"Queues": [QUEUE], "ContactFilter": {"ContactStates": ["X"]}}},
            rules.INVALID_PARAMETER,
            "Filters.ContactFilter.ContactStates: ['X'] not among",
        ),
        (
            {"Filters": {"Queues": [QUEUE]}, "MaxResults": 0},
            rules.INVALID_PARAMETER,
            "MaxResults: must be a whole number from 1 to 100",
        ),
        (
            {"Filters": {"Queues": [QUEUE]}, "NextToken": 5},
            rules.INVALID_PARAMETER,
            "NextToken: must be a string",
        ),
    ],
)
def test_user_data_refusals_name_the_field_and_the_rule(body: Any, code: str, starts: str) -> None:
    refused = refusal(lambda: USER_DATA.ask(INSTANCE, body))
    assert refused[0] == code
    assert refused[1].startswith(starts), refused[1]


def test_user_data_keys_what_is_asked_not_how_it_is_paged() -> None:
    by_id = USER_DATA.ask(INSTANCE, {"Filters": {"Queues": [QUEUE]}, "MaxResults": 5})
    by_arn = USER_DATA.ask(
        INSTANCE, {"Filters": {"Queues": [QUEUE_ARN]}, "NextToken": "t", "InstanceId": ARN}
    )
    assert by_id.key == by_arn.key and (by_id.size, by_arn.size) == (5, 100)
    assert by_arn.request == {"Filters": {"Queues": [QUEUE_ARN]}}
    assert by_arn.next_token == "t"
    states = USER_DATA.ask(
        INSTANCE, {"Filters": {"Queues": [QUEUE], "ContactFilter": {"ContactStates": ["ENDED"]}}}
    )
    assert states.key != by_id.key


def metric_body(**change: Any) -> dict[str, Any]:
    end = time.time() - 60
    return {
        "StartTime": end - 3600,
        "EndTime": end,
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": [QUEUE]}],
        "Metrics": [{"Name": "CONTACTS_HANDLED"}],
        **{name: value() if callable(value) else value for name, value in change.items()},
    }


@pytest.mark.parametrize(
    ("change", "code", "starts"),
    [
        (
            {"ResourceArn": ARN.replace(INSTANCE_ID, OTHER)},
            rules.INVALID_PARAMETER,
            f"ResourceArn: names instance {OTHER}, not the instance in the URL",
        ),
        (
            {"ResourceArn": ARN.replace(ACCOUNT, "210987654321")},
            rules.INVALID_PARAMETER,
            "ResourceArn: the ARN's account 210987654321 is not the instance's",
        ),
        ({"ResourceArn": "centre"}, rules.INVALID_PARAMETER, "ResourceArn: required, the"),
        ({"StartTime": "yesterday"}, rules.INVALID_PARAMETER, "StartTime: required, a timestamp"),
        # Ten minutes ahead of when the test runs, not of when it was collected.
        (
            {"EndTime": lambda: time.time() + 600},
            rules.INVALID_PARAMETER,
            "EndTime: cannot be later",
        ),
        ({"Filters": [{"FilterKey": "QUEUE", "FilterValues": []}]}, rules.INVALID_PARAMETER, ""),
        (
            {"Filters": [{"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}]},
            rules.INVALID_REQUEST,
            "Filters: needs one of QUEUE",
        ),
        (
            {"Interval": {"IntervalPeriod": "MINUTE"}},
            rules.INVALID_PARAMETER,
            "Interval.IntervalPeriod: one of",
        ),
        (
            {"Interval": {"TimeZone": "Mars/Olympus"}},
            rules.INVALID_PARAMETER,
            "Interval.TimeZone: an IANA time zone",
        ),
        (
            {
                "Metrics": [
                    {
                        "Name": "SERVICE_LEVEL",
                        "Threshold": [{"Comparison": "LT", "ThresholdValue": 604_801}],
                    }
                ]
            },
            rules.INVALID_PARAMETER,
            "Metrics[0].Threshold[0].ThresholdValue: a whole number of seconds from 1 to 604800",
        ),
        (
            {"Metrics": [{"Name": "CONTACTS_HANDLED", "Threshold": [{}]}]},
            rules.INVALID_PARAMETER,
            "Metrics[0].Threshold: CONTACTS_HANDLED takes no threshold",
        ),
        (
            {
                "Metrics": [
                    {
                        "Name": "SERVICE_LEVEL",
                        "Threshold": [{"Comparison": "LT", "ThresholdValue": n}],
                    }
                    for n in range(1, 22)
                ]
            },
            rules.INVALID_PARAMETER,
            "Metrics: at most 20 SERVICE_LEVEL metrics; got 21",
        ),
        (
            {"Groupings": ["QUEUE", "CHANNEL", "ROUTING_PROFILE", "AGENT", "QUEUE"]},
            rules.INVALID_PARAMETER,
            "Groupings: a list of at most 4",
        ),
        ({"MaxResults": 101}, rules.INVALID_PARAMETER, "MaxResults: must be a whole number"),
    ],
)
def test_metric_data_refusals_name_the_field_and_the_rule(
    change: dict[str, Any], code: str, starts: str
) -> None:
    refused = refusal(lambda: METRIC_DATA.ask(INSTANCE, metric_body(**change)))
    assert refused[0] == code
    field = starts or "Filters[0].FilterValues"
    assert refused[1].startswith(field), refused[1]


def test_metric_data_asks_for_the_instance_in_the_url_when_resource_arn_is_left_out() -> None:
    asked = METRIC_DATA.ask(INSTANCE, metric_body(MaxResults=5, NextToken="t"))
    assert asked.request["ResourceArn"] == ARN
    assert "MaxResults" not in asked.request and "NextToken" not in asked.request
    assert (asked.size, asked.next_token) == (5, "t")
    same = METRIC_DATA.ask(INSTANCE, {**asked.request, "ResourceArn": ARN})
    assert same.key == asked.key
