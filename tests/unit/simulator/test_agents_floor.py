"""The simulated centre's agents through a real boto3 client: GetCurrentUserData's floor,
its agreement with GetCurrentMetricData, what a supervisor sees, and its filters."""

from collections import Counter
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.simulator import SimulatedCentre
from tests.simulator_support import (
    DAY0,
    FAILED,
    IID,
    UNKNOWN,
    Clock,
    activity,
    all_user_data,
    standard_ids,
)


@pytest.fixture
def centre(clock: Clock) -> SimulatedCentre:
    return SimulatedCentre(7, agents=300, clock=clock)


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
    for hour in (8.25, 10.5, 12.2, 14.75, 20.5):  # 12:12, a moment with agents in error
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


# -- a half-hour block's start is not a moment on the floor ------------------------------

BOUNDARY = DAY0 + 14 * 3600  # agent states are drawn per half hour; no shift starts at 14:00


def floor_at(centre: SimulatedCentre, clock: Clock, moment: float) -> dict[str, Any]:
    clock.now = moment
    profiles = [p.id for p in centre.topology.profiles]
    users = all_user_data(centre.client(), Filters={"RoutingProfiles": profiles})
    return {user["User"]["Id"]: user for user in users}


def starts(user: dict[str, Any]) -> set[float]:
    """Every moment the page can show a time in activity from."""
    found = {user["Status"]["StatusStartTimestamp"].timestamp()}
    for contact in user["Contacts"]:
        found.add(contact["StateStartTimestamp"].timestamp())
        if "ConnectedToAgentTimestamp" in contact:
            found.add(contact["ConnectedToAgentTimestamp"].timestamp())
    return found


def test_agents_do_not_all_start_at_a_block_start(centre: SimulatedCentre, clock: Clock) -> None:
    floor = floor_at(centre, clock, BOUNDARY + 190)
    busy = [u for u in floor.values() if activity(u) in ("on contact", "after contact work")]
    assert len(busy) > 50
    # A supervisor would see a column of equal times in activity (3:10 at 14:03:10).
    at_boundary = [u for u in floor.values() if BOUNDARY in starts(u)]
    assert len(at_boundary) <= 0.02 * len(floor)
    # Starts are spread: no moment is the start of more than a few agents' activity.
    shared = Counter(s for u in busy for s in starts(u))
    assert max(shared.values()) <= 3


def test_a_contact_across_a_block_start_keeps_its_start(
    centre: SimulatedCentre, clock: Clock
) -> None:
    before = floor_at(centre, clock, BOUNDARY - 20)
    after = floor_at(centre, clock, BOUNDARY + 20)
    kept = 0
    for agent, user in before.items():
        later = {c["ContactId"]: c for c in after.get(agent, {"Contacts": []})["Contacts"]}
        for contact in user["Contacts"]:
            if contact["ContactId"] in later:
                kept += 1
                connected = later[contact["ContactId"]].get("ConnectedToAgentTimestamp")
                assert connected == contact.get("ConnectedToAgentTimestamp"), agent
    assert kept > 0.2 * len(before)
    # The status the agent set forty seconds ago is the same one, set at the same moment.
    same_status = [
        agent
        for agent, user in before.items()
        if agent in after and after[agent]["Status"]["StatusName"] == user["Status"]["StatusName"]
    ]
    moved = [
        agent
        for agent in same_status
        if after[agent]["Status"]["StatusStartTimestamp"]
        != before[agent]["Status"]["StatusStartTimestamp"]
    ]
    assert len(moved) <= 0.02 * len(same_status)
