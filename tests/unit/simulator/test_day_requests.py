"""The simulated centre's GetMetricDataV2 through a real boto3 client: paging and the rules."""

from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from connectmetrics.connectapi import catalogue
from connectmetrics.simulator import SimulatedCentre
from tests.simulator_day_support import AFTERNOON, WALL, at, metric_data
from tests.simulator_support import (
    DAY0,
    IID,
    UNKNOWN,
    Clock,
    error_of,
    standard_ids,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(AFTERNOON)


# -- paging ------------------------------------------------------------------------------------


def test_pages_show_one_moment_and_add_up(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    def later() -> None:
        clock.now += 30

    whole = metric_data(client, centre, DAY0, AFTERNOON, period="HOUR", groupings=["QUEUE"])
    assert len(whole) > 100
    paged = metric_data(
        client,
        centre,
        DAY0,
        AFTERNOON,
        period="HOUR",
        groupings=["QUEUE"],
        MaxResults=37,
        between=later,
    )
    assert paged == whole


def test_next_token_belongs_to_its_request(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    request = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": at(DAY0),
        "EndTime": at(AFTERNOON),
        "Interval": {"IntervalPeriod": "HOUR"},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": standard_ids(centre)}],
        "Groupings": ["QUEUE"],
        "Metrics": WALL,
    }
    token = client.get_metric_data_v2(**request)["NextToken"]
    client.get_metric_data_v2(**request, NextToken=token, MaxResults=5)
    for change in (
        {"Groupings": ["CHANNEL"]},
        {"Metrics": WALL[2:]},
        {"EndTime": at(AFTERNOON - 1)},
    ):
        with pytest.raises(ClientError) as caught:
            client.get_metric_data_v2(**{**request, **change}, NextToken=token)
        assert error_of(caught)[0] == "InvalidRequestException"
    clock.now += catalogue.NEXT_TOKEN_TTL_SECONDS
    with pytest.raises(ClientError) as caught:
        client.get_metric_data_v2(**request, NextToken=token)
    assert "expired" in error_of(caught)[2]


# -- rules -------------------------------------------------------------------------------------

QUEUE_FILTER = [{"FilterKey": "QUEUE", "FilterValues": [UNKNOWN]}]
SL = "SERVICE_LEVEL"


def sl(comparison: str = "LT", value: Any = 20) -> dict[str, Any]:
    return {"Name": SL, "Threshold": [{"Comparison": comparison, "ThresholdValue": value}]}


BAD_REQUESTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("end in the future", {"EndTime": AFTERNOON + 60}, "InvalidParameterException", "EndTime"),
    (
        "start after end",
        {"StartTime": AFTERNOON - 10, "EndTime": AFTERNOON - 20},
        "InvalidParameterException",
        "StartTime",
    ),
    (
        "older than 3 months",
        {"StartTime": AFTERNOON - 94 * 86_400, "EndTime": AFTERNOON - 93.5 * 86_400},
        "InvalidParameterException",
        "kept",
    ),
    (
        "3 days of hours",
        {"StartTime": AFTERNOON - 3 * 86_400, "Interval": {"IntervalPeriod": "HOUR"}},
        "InvalidRequestException",
        "under 3 days",
    ),
    (
        "3 days of quarters",
        {"StartTime": AFTERNOON - 3 * 86_400, "Interval": {"IntervalPeriod": "FIFTEEN_MIN"}},
        "InvalidRequestException",
        "under 3 days",
    ),
    (
        "35 days in total",
        {"StartTime": AFTERNOON - 35 * 86_400},
        "InvalidRequestException",
        "under 35 days",
    ),
    (
        "35 days of weeks",
        {"StartTime": AFTERNOON - 35 * 86_400, "Interval": {"IntervalPeriod": "WEEK"}},
        "InvalidRequestException",
        "under 35 days",
    ),
    (
        "unknown period",
        {"Interval": {"IntervalPeriod": "MINUTE"}},
        "InvalidParameterException",
        "IntervalPeriod",
    ),
    (
        "unknown time zone",
        {"Interval": {"TimeZone": "Mars/Olympus"}},
        "InvalidParameterException",
        "TimeZone",
    ),
    ("no filters", {"Filters": []}, "InvalidParameterException", "Filters"),
    (
        "six filter keys",
        {
            "Filters": [
                {"FilterKey": k, "FilterValues": [UNKNOWN]}
                for k in (
                    "QUEUE",
                    "ROUTING_PROFILE",
                    "AGENT",
                    "AGENT_HIERARCHY_LEVEL_ONE",
                    "AGENT_HIERARCHY_LEVEL_TWO",
                    "AGENT_HIERARCHY_LEVEL_THREE",
                )
            ]
        },
        "InvalidParameterException",
        "1 to 5",
    ),
    (
        "101 values over two keys",
        {
            "Filters": [
                {"FilterKey": "QUEUE", "FilterValues": [UNKNOWN] * 60},
                {"FilterKey": "ROUTING_PROFILE", "FilterValues": [UNKNOWN] * 41},
            ]
        },
        "InvalidRequestException",
        "at most 100 values",
    ),
    (
        "101 values for one key",
        {"Filters": [{"FilterKey": "QUEUE", "FilterValues": [UNKNOWN] * 101}]},
        "InvalidParameterException",
        "FilterValues",
    ),
    (
        "channels only",
        {"Filters": [{"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}]},
        "InvalidRequestException",
        "needs one of QUEUE",
    ),
    (
        "unknown channel",
        {"Filters": [*QUEUE_FILTER, {"FilterKey": "CHANNEL", "FilterValues": ["FAX"]}]},
        "InvalidParameterException",
        "channels are",
    ),
    ("a key twice", {"Filters": QUEUE_FILTER * 2}, "InvalidParameterException", "twice"),
    (
        "unanswered key",
        {"Filters": [*QUEUE_FILTER, {"FilterKey": "BOT_ID", "FilterValues": ["x"]}]},
        "InvalidParameterException",
        "FilterKey",
    ),
    (
        "malformed queue",
        {"Filters": [{"FilterKey": "QUEUE", "FilterValues": ["sales"]}]},
        "InvalidParameterException",
        "neither a queue ID",
    ),
    (
        "five groupings",
        {
            "Groupings": [
                "QUEUE",
                "CHANNEL",
                "ROUTING_PROFILE",
                "AGENT",
                "AGENT_HIERARCHY_LEVEL_ONE",
            ]
        },
        "InvalidParameterException",
        "at most 4",
    ),
    ("grouping twice", {"Groupings": ["QUEUE", "QUEUE"]}, "InvalidParameterException", "twice"),
    ("no metrics", {"Metrics": []}, "InvalidParameterException", "Metrics"),
    (
        "unanswered metric",
        {"Metrics": [{"Name": "AGENT_OCCUPANCY"}]},
        "InvalidParameterException",
        "Name",
    ),
    (
        "service level without threshold",
        {"Metrics": [{"Name": SL}]},
        "InvalidParameterException",
        "needs exactly one threshold",
    ),
    (
        "two thresholds",
        {"Metrics": [{"Name": SL, "Threshold": sl()["Threshold"] * 2}]},
        "InvalidParameterException",
        "exactly one",
    ),
    ("threshold 0", {"Metrics": [sl(value=0)]}, "InvalidParameterException", "1 to 604800"),
    (
        "threshold 604801",
        {"Metrics": [sl(value=604_801)]},
        "InvalidParameterException",
        "1 to 604800",
    ),
    ("threshold 1.5", {"Metrics": [sl(value=1.5)]}, "InvalidParameterException", "whole number"),
    ("threshold GT", {"Metrics": [sl("GT")]}, "InvalidParameterException", "LT or LTE"),
    (
        "threshold on a count",
        {"Metrics": [{"Name": "CONTACTS_QUEUED", "Threshold": sl()["Threshold"]}]},
        "InvalidParameterException",
        "takes no threshold",
    ),
    (
        "21 service levels",
        {"Metrics": [sl(value=n) for n in range(1, 22)]},
        "InvalidParameterException",
        "at most 20",
    ),
    (
        "service level by agent",
        {"Groupings": ["AGENT"], "Metrics": [sl()]},
        "InvalidRequestException",
        "by agent",
    ),
    (
        "answer time for an agent",
        {
            "Filters": [{"FilterKey": "AGENT", "FilterValues": [UNKNOWN]}],
            "Metrics": [{"Name": "AVG_QUEUE_ANSWER_TIME"}],
        },
        "InvalidRequestException",
        "by agent",
    ),
    (
        "metric filters",
        {
            "Metrics": [
                {
                    "Name": "CONTACTS_HANDLED",
                    "MetricFilters": [
                        {"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["INBOUND"]}
                    ],
                }
            ]
        },
        "InvalidParameterException",
        "unfiltered",
    ),
    ("max results 101", {"MaxResults": 101}, "InvalidParameterException", "MaxResults"),
    ("instance ID, not ARN", {"ResourceArn": IID}, "InvalidParameterException", "ResourceArn"),
    (
        "another instance",
        {"ResourceArn": f"arn:aws:connect:eu-west-2:123456789012:instance/{UNKNOWN}"},
        "ResourceNotFoundException",
        "not found",
    ),
]


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_get_metric_data_v2_refuses_what_aws_refuses(
    centre: SimulatedCentre, lax_client: BaseClient, change: dict[str, Any], code: str, words: str
) -> None:
    request = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": AFTERNOON - 3600,
        "EndTime": AFTERNOON,
        "Filters": QUEUE_FILTER,
        "Metrics": [{"Name": "CONTACTS_QUEUED"}],
        **change,
    }
    with pytest.raises(ClientError) as caught:
        lax_client.get_metric_data_v2(**request)
    found_code, status, message = error_of(caught)
    assert found_code == code
    assert status == (404 if code == "ResourceNotFoundException" else 400)
    assert words in message


@pytest.mark.parametrize(
    "change",
    [
        {"StartTime": AFTERNOON - 3 * 86_400 + 1, "Interval": {"IntervalPeriod": "HOUR"}},
        {"StartTime": AFTERNOON - 35 * 86_400 + 1, "Interval": {"IntervalPeriod": "DAY"}},
        {"Metrics": [sl(value=n) for n in range(1, 21)]},
        {"Metrics": [sl("LTE", 604_800)]},
        {
            "Filters": [
                {"FilterKey": "QUEUE", "FilterValues": [UNKNOWN] * 100},
                {"FilterKey": "CHANNEL", "FilterValues": ["VOICE", "CHAT", "TASK", "EMAIL"]},
            ]
        },
        {
            "Groupings": [
                "QUEUE",
                "CHANNEL",
                "ROUTING_PROFILE",
                "contact/segmentAttributes/connect:Subtype",
            ]
        },
        {"EndTime": AFTERNOON, "StartTime": AFTERNOON - 1},
    ],
)
def test_requests_at_the_limits_are_answered(
    centre: SimulatedCentre, client: BaseClient, change: dict[str, Any]
) -> None:
    request = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": AFTERNOON - 3600,
        "EndTime": AFTERNOON,
        # One queue: a month of twenty queues' contacts takes seconds to draw.
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": standard_ids(centre)[:1]}],
        "Metrics": [{"Name": "CONTACTS_QUEUED"}],
        **change,
    }
    assert "MetricResults" in client.get_metric_data_v2(**request)
