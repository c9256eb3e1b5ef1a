"""The simulated centre's agents through a real boto3 client: GetCurrentUserData and the
directory calls (SearchUsers, ListUsers, DescribeUser, ListAgentStatuses,
ListUserHierarchyGroups), their rules, paging, and agreement with GetCurrentMetricData."""

import json
from collections import Counter
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics import catalogue
from connectmetrics.simulator import SimulatedCentre
from tests.test_simulator import DAY0, MORNING, Clock, error_of, run_python

IID = catalogue.SIMULATED_INSTANCE_ID
UNKNOWN = "4d3c2b1a-0000-4000-8000-00000000beef"
FAILED = {"MISSED", "REJECTED", "ERROR"}


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def centre(clock: Clock) -> SimulatedCentre:
    return SimulatedCentre(7, agents=300, clock=clock)


@pytest.fixture
def client(centre: SimulatedCentre) -> BaseClient:
    return centre.client()


@pytest.fixture
def lax_client(centre: SimulatedCentre) -> BaseClient:
    return centre.client(
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )


def standard_ids(centre: SimulatedCentre) -> list[str]:
    return [q.id for q in centre.topology.queues if q.queue_type == "STANDARD"]


def all_user_data(client: BaseClient, clock: Clock | None = None, **params: Any) -> list[Any]:
    """Every page of GetCurrentUserData (the clock moved on between pages, if given)."""
    answers = [client.get_current_user_data(InstanceId=IID, **params)]
    while "NextToken" in answers[-1]:
        if clock is not None:
            clock.now += 7
        answers.append(
            client.get_current_user_data(
                InstanceId=IID, NextToken=answers[-1]["NextToken"], **params
            )
        )
    total = answers[0]["ApproximateTotalCount"]
    found = [user for answer in answers for user in answer["UserDataList"]]
    assert len(found) == total
    return found


def activity(user: dict[str, Any]) -> str:
    """The console's activity: Error/Missed/Rejected, on contact, after contact work,
    incoming, a custom status, else Available."""
    states = {contact["AgentContactState"] for contact in user["Contacts"]}
    if states & FAILED:
        return "error"
    if states & {"CONNECTED", "CONNECTED_ONHOLD"}:
        return "on contact"
    if "ENDED" in states:
        return "after contact work"
    if states:
        return "incoming"
    return "available" if user["Status"]["StatusName"] == "Available" else "custom"


# -- consistency with GetCurrentMetricData ------------------------------------------------

CONSISTENCY_METRICS = {
    "AGENTS_ONLINE": None,
    "AGENTS_AVAILABLE": "available",
    "AGENTS_ON_CONTACT": "on contact",
    "AGENTS_AFTER_CONTACT_WORK": "after contact work",
    "AGENTS_ERROR": "error",
    "AGENTS_NON_PRODUCTIVE": "custom",
}


def check_agents_per_queue(centre: SimulatedCentre) -> Counter[str]:
    """Per queue, GetCurrentUserData's agents by activity against GetCurrentMetricData's
    counts; the activities seen over all queues."""
    client = centre.client()
    queues = standard_ids(centre)
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"Queues": queues},
        Groupings=["QUEUE"],
        CurrentMetrics=[{"Name": name, "Unit": "COUNT"} for name in CONSISTENCY_METRICS],
    )
    metrics = {
        row["Dimensions"]["Queue"]["Id"]: {
            c["Metric"]["Name"]: c["Value"] for c in row["Collections"]
        }
        for row in answer["MetricResults"]
    }
    seen: Counter[str] = Counter()
    for queue in queues:
        users = all_user_data(client, Filters={"Queues": [queue]})
        activities = Counter(activity(user) for user in users)
        seen.update(activities)
        expected = metrics.get(queue, dict.fromkeys(CONSISTENCY_METRICS, 0.0))
        for name, wanted in CONSISTENCY_METRICS.items():
            count = len(users) if wanted is None else activities[wanted]
            assert count == expected[name], (queue, name)
    return seen


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0, max_value=10_000),
    day=st.integers(min_value=0, max_value=6),
    second=st.floats(min_value=0, max_value=86_399, allow_nan=False),
)
def test_agents_per_queue_match_the_current_metrics(seed: int, day: int, second: float) -> None:
    centre = SimulatedCentre(seed, queues=8, agents=120, clock=Clock(DAY0 + day * 86_400 + second))
    check_agents_per_queue(centre)


def test_agents_per_queue_match_at_busy_moments() -> None:
    clock = Clock(DAY0)
    centre = SimulatedCentre(7, agents=300, clock=clock)
    seen: Counter[str] = Counter()
    for hour in (8.25, 10.5, 14.75, 20.5):
        clock.now = DAY0 + hour * 3600
        seen.update(check_agents_per_queue(centre))
    # Every activity was there to be compared.
    assert set(seen) == {"available", "on contact", "after contact work", "error", "custom"}


def test_the_whole_floor_is_the_summary_row(centre: SimulatedCentre, client: BaseClient) -> None:
    profiles = [p.id for p in centre.topology.profiles]
    users = all_user_data(client, Filters={"RoutingProfiles": profiles})
    answer = client.get_current_metric_data(
        InstanceId=IID,
        Filters={"RoutingProfiles": profiles},
        CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
    )
    assert len(users) == answer["MetricResults"][0]["Collections"][0]["Value"] > 100


# -- what a supervisor sees ---------------------------------------------------------------


def day_of_user_data(centre: SimulatedCentre, clock: Clock, client: BaseClient) -> list[Any]:
    """Every logged-in agent, every ten minutes from 08:00 to 18:00."""
    profiles = [p.id for p in centre.topology.profiles]
    seen = []
    for step in range(60):
        clock.now = DAY0 + 8 * 3600 + step * 600
        seen.extend(all_user_data(client, Filters={"RoutingProfiles": profiles}))
    return seen


def test_the_floor_looks_like_a_real_one(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    seen = day_of_user_data(centre, clock, client)
    # Status stays Available while on a contact or in after contact work.
    busy = [u for u in seen if activity(u) in ("on contact", "after contact work", "error")]
    assert busy and all(u["Status"]["StatusName"] == "Available" for u in busy)
    # Every custom status is used, and nobody in one has a contact.
    customs = {u["Status"]["StatusName"] for u in seen if activity(u) == "custom"}
    assert customs == {"Break", "Lunch", "Training", "Meeting"}
    # Holds keep the StateStartTimestamp of the connection.
    held = [c for u in seen for c in u["Contacts"] if c["AgentContactState"] == "CONNECTED_ONHOLD"]
    assert held and all(c["StateStartTimestamp"] == c["ConnectedToAgentTimestamp"] for c in held)
    # Concurrent chats, counted in the slots.
    chats = [u for u in seen if sum(c["Channel"] == "CHAT" for c in u["Contacts"]) >= 2]
    assert chats
    for user in chats:
        active = user["ActiveSlotsByChannel"]["CHAT"]
        assert active == sum(c["Channel"] == "CHAT" for c in user["Contacts"])
        assert active <= user["MaxSlotsByChannel"]["CHAT"]
        assert user["AvailableSlotsByChannel"]["CHAT"] == user["MaxSlotsByChannel"]["CHAT"] - active
    # Missed contacts, and the other failed states.
    failed = Counter(
        c["AgentContactState"]
        for u in seen
        for c in u["Contacts"]
        if c["AgentContactState"] in FAILED
    )
    assert failed["MISSED"] > failed["REJECTED"] > 0 and failed["ERROR"] > 0
    # A break chosen while busy shows as NextStatus.
    assert any(u.get("NextStatus") in customs for u in busy)
    # Timestamps are never in the future, and contacts name the agent's queues.
    for user in seen:
        assert user["Status"]["StatusStartTimestamp"].timestamp() <= DAY0 + 18 * 3600
        profile = centre.topology.profile_by_id[user["RoutingProfile"]["Id"]]
        for contact in user["Contacts"]:
            assert (contact["Queue"]["Id"], contact["Channel"]) in profile.pairs


def test_activity_moves_over_time_and_contacts_keep_their_id(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    profiles = [p.id for p in centre.topology.profiles]
    before = {
        u["User"]["Id"]: u for u in all_user_data(client, Filters={"RoutingProfiles": profiles})
    }
    clock.now += 60
    after = {
        u["User"]["Id"]: u for u in all_user_data(client, Filters={"RoutingProfiles": profiles})
    }
    changed = [a for a in before if a in after and activity(before[a]) != activity(after[a])]
    assert 0.05 * len(before) < len(changed) < 0.8 * len(before)
    # A contact that is still there a minute later kept its ID, queue and connection time.
    kept = 0
    for agent, user in before.items():
        later = {c["ContactId"]: c for c in after.get(agent, {"Contacts": []})["Contacts"]}
        for contact in user["Contacts"]:
            if contact["ContactId"] in later:
                kept += 1
                assert later[contact["ContactId"]]["Queue"] == contact["Queue"]
    assert kept > 10


def test_same_seed_and_moment_same_floor(clock: Clock) -> None:
    one = SimulatedCentre(3, agents=80, clock=clock).client()
    two = SimulatedCentre(3, agents=80, clock=clock).client()
    other = SimulatedCentre(4, agents=80, clock=clock).client()
    profiles = [p.id for p in SimulatedCentre(3, agents=80).topology.profiles]

    def floor(client: BaseClient) -> list[Any]:
        return all_user_data(client, Filters={"RoutingProfiles": profiles})

    assert floor(one) == floor(two)
    assert [u["User"] for u in floor(one)] != [u["User"] for u in floor(other)]


def test_answers_validate_against_the_service_model(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    model = client.meta.service_model
    answers = {
        "GetCurrentUserData": client.get_current_user_data(
            InstanceId=IID, Filters={"Queues": standard_ids(centre)[:5]}
        ),
        "SearchUsers": client.search_users(InstanceId=IID),
        "ListUsers": client.list_users(InstanceId=IID),
        "DescribeUser": client.describe_user(InstanceId=IID, UserId=centre.topology.agents[0].id),
        "ListAgentStatuses": client.list_agent_statuses(InstanceId=IID),
        "ListUserHierarchyGroups": client.list_user_hierarchy_groups(InstanceId=IID),
    }
    for operation, answer in answers.items():
        answer.pop("ResponseMetadata")
        report = ParamValidator().validate(answer, model.operation_model(operation).output_shape)
        assert not report.has_errors(), report.generate_report()


# -- filters -----------------------------------------------------------------------------


def test_each_resource_filter_selects_its_agents(
    centre: SimulatedCentre, client: BaseClient
) -> None:
    topology = centre.topology
    profile = topology.profiles[1]
    by_profile = all_user_data(client, Filters={"RoutingProfiles": [profile.arn]})
    assert by_profile and {u["RoutingProfile"]["Id"] for u in by_profile} == {profile.id}

    chosen = [a.id for a in topology.agents[:40]]
    by_agent = all_user_data(client, Filters={"Agents": [*chosen, UNKNOWN]})
    assert by_agent and {u["User"]["Id"] for u in by_agent} <= set(chosen)

    site = topology.hierarchy_groups[0]
    by_site = all_user_data(client, Filters={"UserHierarchyGroups": [site.arn]})
    assert by_site and {u["HierarchyPath"]["LevelOne"]["Id"] for u in by_site} == {site.id}
    team = by_site[0]["HierarchyPath"]["LevelTwo"]["Id"]
    by_team = all_user_data(client, Filters={"UserHierarchyGroups": [team]})
    assert by_team and {u["HierarchyPath"]["LevelTwo"]["Id"] for u in by_team} == {team}
    assert len(by_team) < len(by_site)

    assert all_user_data(client, Filters={"Queues": [UNKNOWN]}) == []


def test_contact_filter_keeps_agents_with_a_contact_in_those_states(
    centre: SimulatedCentre, clock: Clock, client: BaseClient
) -> None:
    profiles = [p.id for p in centre.topology.profiles]
    everyone = all_user_data(client, Filters={"RoutingProfiles": profiles})
    for states in (["ENDED"], ["MISSED", "CONNECTED_ONHOLD"], ["CONNECTED"], ["INCOMING"]):
        filtered = all_user_data(
            client,
            Filters={"RoutingProfiles": profiles, "ContactFilter": {"ContactStates": states}},
        )
        expected = [
            u for u in everyone if any(c["AgentContactState"] in states for c in u["Contacts"])
        ]
        assert filtered == expected
    assert (
        all_user_data(
            client, Filters={"RoutingProfiles": profiles, "ContactFilter": {"ContactStates": []}}
        )
        == everyone
    )


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


# -- the same floor and day in every process --------------------------------------------

OTHER_PROCESS = """
import json, sys
from connectmetrics.catalogue import SIMULATED_INSTANCE_ID as IID
from connectmetrics.simulator import SimulatedCentre
centre = SimulatedCentre(int(sys.argv[1]), agents=300, clock=lambda: float(sys.argv[2]))
client = centre.client()
profiles = [p.id for p in centre.topology.profiles]
users = client.get_current_user_data(
    InstanceId=IID, Filters={"RoutingProfiles": profiles}, MaxResults=20
)
today = client.get_metric_data_v2(
    ResourceArn=centre.topology.instance_arn,
    StartTime=float(sys.argv[2]) - 6 * 3600,
    EndTime=float(sys.argv[2]),
    Interval={"IntervalPeriod": "HOUR"},
    Filters=[{"FilterKey": "ROUTING_PROFILE", "FilterValues": profiles}],
    Groupings=["AGENT"],
    Metrics=[{"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"}],
    MaxResults=30,
)
for answer in (users, today):
    answer.pop("ResponseMetadata")
print(json.dumps({"users": users, "today": today}, default=str, sort_keys=True))
"""


def test_another_process_sees_the_same_floor_and_day_and_its_tokens_work_here() -> None:
    seen = json.loads(run_python(OTHER_PROCESS, "7", str(MORNING)))
    centre = SimulatedCentre(7, agents=300, clock=Clock(MORNING + 20))
    client = centre.client()
    profiles = [p.id for p in centre.topology.profiles]
    # Its NextTokens carry its moment: the next pages here show that moment.
    users = client.get_current_user_data(
        InstanceId=IID,
        Filters={"RoutingProfiles": profiles},
        NextToken=seen["users"]["NextToken"],
        MaxResults=20,
    )
    here = SimulatedCentre(7, agents=300, clock=Clock(MORNING)).client()
    first = here.get_current_user_data(
        InstanceId=IID, Filters={"RoutingProfiles": profiles}, MaxResults=40
    )
    assert [u["User"]["Id"] for u in first["UserDataList"]] == [
        u["User"]["Id"] for u in seen["users"]["UserDataList"] + users["UserDataList"]
    ]
    assert (
        json.loads(json.dumps(first["UserDataList"][:20], default=str))
        == (seen["users"]["UserDataList"])
    )
    request = {
        "ResourceArn": centre.topology.instance_arn,
        "StartTime": MORNING - 6 * 3600,
        "EndTime": MORNING,
        "Interval": {"IntervalPeriod": "HOUR"},
        "Filters": [{"FilterKey": "ROUTING_PROFILE", "FilterValues": profiles}],
        "Groupings": ["AGENT"],
        "Metrics": [{"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"}],
    }

    def rows(client: BaseClient, token: str | None = None) -> list[Any]:
        found, answer = [], {"NextToken": token} if token else {}
        while True:
            answer = client.get_metric_data_v2(**request, **answer, MaxResults=30)
            found += answer["MetricResults"]
            if "NextToken" not in answer:
                return json.loads(json.dumps(found, default=str))
            answer = {"NextToken": answer["NextToken"]}

    rest = rows(client, seen["today"]["NextToken"])
    assert rows(here) == seen["today"]["MetricResults"] + rest


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
