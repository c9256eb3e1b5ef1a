"""The simulated centre's agents through a real boto3 client: the rules and paging of
GetCurrentUserData, the directory calls (SearchUsers, ListUsers, DescribeUser,
ListAgentStatuses, ListUserHierarchyGroups), and any JSON body."""

import json
from collections import Counter
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from connectmetrics.connectapi import catalogue
from connectmetrics.simulator import SimulatedCentre
from tests.simulator_support import (
    DAY0,
    IID,
    MORNING,
    UNKNOWN,
    Clock,
    activity,
    all_user_data,
    error_of,
    standard_ids,
)


@pytest.fixture
def centre(clock: Clock) -> SimulatedCentre:
    return SimulatedCentre(7, agents=300, clock=clock)


# -- rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "code", "words"),
    [
        ({}, "InvalidRequestException", "exactly one of Queues"),
        ({"ContactFilter": {"ContactStates": ["ENDED"]}}, "InvalidRequestException", "exactly one"),
        ({"Queues": ["Q"], "Agents": ["A"]}, "InvalidRequestException", "got 2"),
        ({"Queues": [UNKNOWN] * 101}, "InvalidParameterException", "Filters.Queues"),
        ({"Queues": []}, "InvalidParameterException", "Filters.Queues"),
        ({"Agents": [UNKNOWN] * 101}, "InvalidParameterException", "Filters.Agents"),
        ({"RoutingProfiles": [UNKNOWN] * 101}, "InvalidParameterException", "RoutingProfiles"),
        ({"UserHierarchyGroups": [UNKNOWN, UNKNOWN]}, "InvalidParameterException", "Hierarchy"),
        ({"Queues": ["not-an-id"]}, "InvalidParameterException", "neither a queue ID"),
        (
            {
                "Agents": [
                    "arn:aws:connect:eu-west-2:123456789012:instance/" + IID + "/queue/" + UNKNOWN
                ]
            },
            "InvalidParameterException",
            "neither a agent ID",
        ),
        (
            {"Queues": [UNKNOWN], "ContactFilter": {"ContactStates": ["ENDED"] * 10}},
            "InvalidParameterException",
            "ContactStates",
        ),
        (
            {"Queues": [UNKNOWN], "ContactFilter": {"ContactStates": ["ON_CALL"]}},
            "InvalidParameterException",
            "ContactStates",
        ),
    ],
)
def test_get_current_user_data_refuses_what_aws_refuses(
    lax_client: BaseClient, filters: dict[str, Any], code: str, words: str
) -> None:
    with pytest.raises(ClientError) as caught:
        lax_client.get_current_user_data(InstanceId=IID, Filters=filters)
    found_code, status, message = error_of(caught)
    assert (found_code, status) == (code, 400)
    assert words in message


def test_parameters_get_current_user_data_does_not_have_are_refused(
    lax_client: BaseClient,
) -> None:
    def replace(request: AWSRequest, **_: Any) -> None:
        request.data = json.dumps({"Filters": {"Queues": [UNKNOWN], "Channels": ["VOICE"]}})

    lax_client.meta.events.register("before-sign.connect.GetCurrentUserData", replace)
    with pytest.raises(ClientError) as caught:
        lax_client.get_current_user_data(InstanceId=IID, Filters={"Queues": [UNKNOWN]})
    code, status, message = error_of(caught)
    assert (code, status) == ("InvalidRequestException", 400)
    assert "Channels is not a parameter" in message


@pytest.mark.parametrize("size", [0, 101, "ten"])
def test_max_results_is_1_to_100(lax_client: BaseClient, size: Any) -> None:
    with pytest.raises(ClientError) as caught:
        lax_client.get_current_user_data(
            InstanceId=IID, Filters={"Queues": [UNKNOWN]}, MaxResults=size
        )
    assert error_of(caught)[0] == "InvalidParameterException"


def test_unknown_instance_is_not_found(client: BaseClient) -> None:
    with pytest.raises(ClientError) as caught:
        client.get_current_user_data(InstanceId=UNKNOWN, Filters={"Queues": [UNKNOWN]})
    assert error_of(caught)[:2] == ("ResourceNotFoundException", 404)


# -- paging --------------------------------------------------------------------------------


def test_pages_show_one_moment_and_add_up(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    profiles = [p.id for p in centre.topology.profiles]
    whole = all_user_data(client, Filters={"RoutingProfiles": profiles})
    assert len(whole) > 100
    paged = all_user_data(client, clock, Filters={"RoutingProfiles": profiles}, MaxResults=17)
    assert paged == whole  # the clock moved between pages; the pages did not
    assert len({u["User"]["Id"] for u in paged}) == len(paged)


def test_next_token_rules(centre: SimulatedCentre, clock: Clock, client: BaseClient) -> None:
    profiles = [p.id for p in centre.topology.profiles]
    first = client.get_current_user_data(
        InstanceId=IID, Filters={"RoutingProfiles": profiles}, MaxResults=10
    )
    token = first["NextToken"]
    # MaxResults may change between pages; the filters may not.
    client.get_current_user_data(
        InstanceId=IID, Filters={"RoutingProfiles": profiles}, MaxResults=50, NextToken=token
    )
    with pytest.raises(ClientError) as caught:
        client.get_current_user_data(
            InstanceId=IID, Filters={"RoutingProfiles": profiles[:1]}, NextToken=token
        )
    assert error_of(caught)[0] == "InvalidRequestException"
    with pytest.raises(ClientError) as caught:
        client.get_current_user_data(
            InstanceId=IID, Filters={"RoutingProfiles": profiles}, NextToken=token[:-2] + "xx"
        )
    assert error_of(caught)[0] == "InvalidParameterException"
    clock.now += catalogue.NEXT_TOKEN_TTL_SECONDS
    with pytest.raises(ClientError) as caught:
        client.get_current_user_data(
            InstanceId=IID, Filters={"RoutingProfiles": profiles}, NextToken=token
        )
    assert error_of(caught)[0] == "InvalidRequestException"
    assert "expired" in error_of(caught)[2]


# -- the directory -------------------------------------------------------------------------


def test_names_come_from_search_users_list_users_and_describe_user(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    searched = [
        user
        for page in client.get_paginator("search_users").paginate(
            InstanceId=IID, PaginationConfig={"PageSize": 120}
        )
        for user in page["Users"]
    ]
    listed = [
        user
        for page in client.get_paginator("list_users").paginate(
            InstanceId=IID, PaginationConfig={"PageSize": 70}
        )
        for user in page["UserSummaryList"]
    ]
    assert len(searched) == len(listed) == 300
    assert [u["Id"] for u in searched] == [u["Id"] for u in listed]
    assert len({u["Username"] for u in listed}) == 300
    for user in searched[:5]:
        described = client.describe_user(InstanceId=IID, UserId=user["Arn"])["User"]
        assert described["IdentityInfo"]["FirstName"] == user["IdentityInfo"]["FirstName"]
        assert described["Username"] == user["Username"]
        assert described["RoutingProfileId"] == user["RoutingProfileId"]
        assert described["HierarchyGroupId"] == user["HierarchyGroupId"]
    # Every agent GetCurrentUserData reports has a name.
    named = {u["Id"] for u in searched}
    profiles = [p.id for p in centre.topology.profiles]
    assert {
        u["User"]["Id"] for u in all_user_data(client, Filters={"RoutingProfiles": profiles})
    } <= named


def test_search_users_criteria(centre: SimulatedCentre, client: BaseClient) -> None:
    agents = centre.topology.agents

    def search(criteria: dict[str, Any]) -> set[str]:
        return {
            u["Id"]
            for u in client.search_users(InstanceId=IID, SearchCriteria=criteria, MaxResults=500)[
                "Users"
            ]
        }

    first = agents[0].person.first_name
    assert search(
        {
            "StringCondition": {
                "FieldName": "firstname",
                "Value": first.upper()[:3],
                "ComparisonType": "STARTS_WITH",
            }
        }
    ) == {a.id for a in agents if a.person.first_name.lower().startswith(first.lower()[:3])}
    assert search(
        {
            "StringCondition": {
                "FieldName": "username",
                "Value": agents[5].person.username,
                "ComparisonType": "EXACT",
            }
        }
    ) == {agents[5].id}
    site = centre.topology.hierarchy_groups[0]
    in_site = {a.id for a in agents if a.person.site.id == site.id}
    assert (
        search(
            {
                "HierarchyGroupCondition": {
                    "Value": site.id,
                    "HierarchyGroupMatchType": "WITH_CHILD_GROUPS",
                }
            }
        )
        == in_site
    )
    assert (
        search({"HierarchyGroupCondition": {"Value": site.id, "HierarchyGroupMatchType": "EXACT"}})
        == set()
    )
    profile = centre.topology.profiles[0]
    both = search(
        {
            "AndConditions": [
                {
                    "HierarchyGroupCondition": {
                        "Value": site.id,
                        "HierarchyGroupMatchType": "WITH_CHILD_GROUPS",
                    }
                },
                {
                    "StringCondition": {
                        "FieldName": "routingProfileId",
                        "Value": profile.id,
                        "ComparisonType": "EXACT",
                    }
                },
            ]
        }
    )
    assert both == {a.id for a in agents if a.id in in_site and a.profile.id == profile.id}


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.search_users(InstanceId=IID, MaxResults=501), "InvalidParameterException"),
        (
            lambda c: c.search_users(
                InstanceId=IID,
                SearchCriteria={
                    "StringCondition": {
                        "FieldName": "shoeSize",
                        "Value": "9",
                        "ComparisonType": "EXACT",
                    }
                },
            ),
            "InvalidParameterException",
        ),
        (
            lambda c: c.search_users(
                InstanceId=IID,
                SearchCriteria={
                    "StringCondition": {
                        "FieldName": "username",
                        "Value": "a",
                        "ComparisonType": "EXACT",
                    },
                    "HierarchyGroupCondition": {"Value": UNKNOWN},
                },
            ),
            "InvalidRequestException",
        ),
        (
            lambda c: c.search_users(
                InstanceId=IID,
                SearchCriteria={
                    "StringCondition": {
                        "FieldName": ["username"],
                        "Value": "a",
                        "ComparisonType": "EXACT",
                    }
                },
            ),
            "InvalidParameterException",
        ),
        (lambda c: c.search_users(InstanceId=UNKNOWN), "ResourceNotFoundException"),
        (lambda c: c.describe_user(InstanceId=IID, UserId=UNKNOWN), "ResourceNotFoundException"),
        (lambda c: c.describe_user(InstanceId=IID, UserId="someone"), "InvalidParameterException"),
        (lambda c: c.list_users(InstanceId=IID, MaxResults=1001), "InvalidParameterException"),
        (lambda c: c.list_users(InstanceId=UNKNOWN), "ResourceNotFoundException"),
        (
            lambda c: c.list_agent_statuses(InstanceId=IID, AgentStatusTypes=["BUSY"]),
            "InvalidParameterException",
        ),
        (
            lambda c: c.list_user_hierarchy_groups(InstanceId=IID, MaxResults=0),
            "InvalidParameterException",
        ),
    ],
)
def test_directory_calls_refuse_what_aws_refuses(
    lax_client: BaseClient, call: Any, code: str
) -> None:
    with pytest.raises(ClientError) as caught:
        call(lax_client)
    assert error_of(caught)[0] == code


def test_agent_statuses_and_hierarchy_groups(centre: SimulatedCentre, client: BaseClient) -> None:
    statuses = client.list_agent_statuses(InstanceId=IID)["AgentStatusSummaryList"]
    assert [(s["Name"], s["Type"]) for s in statuses] == [
        ("Available", "ROUTABLE"),
        ("Break", "CUSTOM"),
        ("Lunch", "CUSTOM"),
        ("Training", "CUSTOM"),
        ("Meeting", "CUSTOM"),
        ("Offline", "OFFLINE"),
    ]
    custom = client.list_agent_statuses(InstanceId=IID, AgentStatusTypes=["CUSTOM"])
    assert [s["Name"] for s in custom["AgentStatusSummaryList"]] == [
        "Break",
        "Lunch",
        "Training",
        "Meeting",
    ]
    # The status ARNs GetCurrentUserData gives are the listed ones.
    profiles = [p.id for p in centre.topology.profiles]
    users = all_user_data(client, Filters={"RoutingProfiles": profiles})
    assert {u["Status"]["StatusArn"] for u in users} <= {s["Arn"] for s in statuses}

    groups = [
        group
        for page in client.get_paginator("list_user_hierarchy_groups").paginate(
            InstanceId=IID, PaginationConfig={"PageSize": 10}
        )
        for group in page["UserHierarchyGroupSummaryList"]
    ]
    by_id = {g["Id"]: g["Name"] for g in groups}
    assert len(by_id) == len(groups) > 20  # sites and about a dozen agents to a team
    for user in users:
        site = by_id[user["HierarchyPath"]["LevelOne"]["Id"]]
        assert by_id[user["HierarchyPath"]["LevelTwo"]["Id"]].startswith(site)


def test_agents_whose_routing_profile_serves_no_queue_make_outbound_calls() -> None:
    clock = Clock(DAY0)
    centre = SimulatedCentre(7, queues=2, routing_profiles=5, agents=200, clock=clock)
    client = centre.client()
    idle = [p.id for p in centre.topology.profiles if not p.pairs]
    assert idle
    seen: Counter[str] = Counter()
    for hour in (9, 11, 15):
        clock.now = DAY0 + hour * 3600
        users = all_user_data(client, Filters={"RoutingProfiles": idle})
        summary = client.get_current_metric_data(
            InstanceId=IID,
            Filters={"RoutingProfiles": idle},
            CurrentMetrics=[{"Name": "AGENTS_ON_CONTACT", "Unit": "COUNT"}],
        )
        on_contact = [u for u in users if activity(u) == "on contact"]
        # Agents whose profile serves no queue land in no row of GetCurrentMetricData.
        assert summary["MetricResults"] == []
        for user in on_contact:
            assert [c["InitiationMethod"] for c in user["Contacts"]] == ["OUTBOUND"]
            assert "Queue" not in user["Contacts"][0]
        seen.update(activity(u) for u in users)
    assert seen["on contact"] > 0


def test_a_centre_of_5000_agents() -> None:
    centre = SimulatedCentre(7, agents=5000, clock=Clock(MORNING))
    client = centre.client()
    page = client.get_current_user_data(
        InstanceId=IID, Filters={"Queues": standard_ids(centre)[:1]}
    )
    assert len(page["UserDataList"]) == 100 < page["ApproximateTotalCount"]
    with pytest.raises(ValueError, match="agents"):
        SimulatedCentre(7, agents=5001)


# -- any JSON at all ------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def shaped(template: Any) -> st.SearchStrategy[Any]:
    """Bodies shaped like a valid one, any part of which may be missing or any JSON."""
    if isinstance(template, dict):
        return st.fixed_dictionaries(
            {}, optional={k: shaped(v) | JSON for k, v in template.items()}
        )
    if isinstance(template, list):
        return st.lists(shaped(template[0]) | JSON, max_size=3)
    return st.just(template) | JSON


FUZZ_CENTRE = SimulatedCentre(7, agents=50, clock=Clock(MORNING))
FUZZ_CLIENT = FUZZ_CENTRE.client(
    config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
)
_QUEUE = FUZZ_CENTRE.topology.queues[0].id
TEMPLATES = {
    "GetCurrentUserData": {
        "Filters": {"Queues": [_QUEUE], "ContactFilter": {"ContactStates": ["ENDED"]}},
        "MaxResults": 10,
    },
    "GetMetricDataV2": {
        "ResourceArn": FUZZ_CENTRE.topology.instance_arn,
        "StartTime": MORNING - 3600,
        "EndTime": MORNING,
        "Interval": {"IntervalPeriod": "HOUR", "TimeZone": "UTC"},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": [_QUEUE]}],
        "Groupings": ["QUEUE"],
        "Metrics": [
            {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]}
        ],
        "MaxResults": 10,
    },
    "SearchUsers": {
        "InstanceId": IID,
        "SearchCriteria": {
            "OrConditions": [
                {
                    "StringCondition": {
                        "FieldName": "username",
                        "Value": "a",
                        "ComparisonType": "CONTAINS",
                    }
                },
                {
                    "HierarchyGroupCondition": {
                        "Value": FUZZ_CENTRE.topology.hierarchy_groups[0].id,
                        "HierarchyGroupMatchType": "EXACT",
                    }
                },
            ]
        },
        "MaxResults": 10,
    },
}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), operation=st.sampled_from(sorted(TEMPLATES)))
def test_any_json_body_gets_an_answer_or_a_clear_error(data: st.DataObject, operation: str) -> None:
    """Whatever the body, the centre answers or refuses with a 4xx error: never a crash."""
    body = data.draw(shaped(TEMPLATES[operation]) | JSON)

    def replace(request: AWSRequest, **_: Any) -> None:
        request.data = json.dumps(body).encode()

    event = f"before-sign.connect.{operation}"
    FUZZ_CLIENT.meta.events.register(event, replace, unique_id="fuzz")
    calls = {
        "GetCurrentUserData": lambda: FUZZ_CLIENT.get_current_user_data(InstanceId=IID, Filters={}),
        "GetMetricDataV2": lambda: FUZZ_CLIENT.get_metric_data_v2(
            ResourceArn="x", StartTime=0, EndTime=0, Filters=[], Metrics=[]
        ),
        "SearchUsers": lambda: FUZZ_CLIENT.search_users(InstanceId=IID),
    }
    try:
        calls[operation]()
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)
    finally:
        FUZZ_CLIENT.meta.events.unregister(event, unique_id="fuzz")
