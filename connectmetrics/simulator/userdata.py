"""GetCurrentUserData: its request rules, which agents it returns, and their UserData.

Rules (botocore's model and the API reference): ``Filters`` is required and
takes exactly one of Queues (1-100), RoutingProfiles (1-100), Agents (1-100)
and UserHierarchyGroups (exactly 1), each as IDs or ARNs, plus an optional
``ContactFilter.ContactStates`` (up to 9 contact states); MaxResults 1-100.
Only agents logged in at the moment are returned, in a fixed order.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectmetrics.connectapi import rules
from connectmetrics.simulator import activity
from connectmetrics.simulator.activity import AgentNow, AgentState
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.floor import CONNECTED, ENDED, FAILED_STATES, ON_HOLD, detail
from connectmetrics.simulator.references import id_list, max_results, only_keys
from connectmetrics.simulator.topology import AgentInfo, Topology

CONTACT_STATES = (
    "INCOMING",
    "PENDING",
    "CONNECTING",
    "CONNECTED",
    "CONNECTED_ONHOLD",
    "MISSED",
    "ERROR",
    "ENDED",
    "REJECTED",
)
MAX_RESULTS = 100
# The states an agent's contacts can be in, by the agent's state.
_POSSIBLE_STATES: dict[AgentState, frozenset[str]] = {
    AgentState.AVAILABLE: frozenset(),
    AgentState.NON_PRODUCTIVE: frozenset(),
    AgentState.ON_CONTACT: frozenset({CONNECTED, ON_HOLD}),
    AgentState.AFTER_CONTACT_WORK: frozenset({ENDED}),
    AgentState.ERROR: frozenset(state for state, _ in FAILED_STATES),
}
# Resource filter -> (the ARN's resource kind, most IDs it takes).
_RESOURCE_FILTERS = {
    "Queues": ("queue", 100),
    "RoutingProfiles": ("routing-profile", 100),
    "Agents": ("agent", 100),
    "UserHierarchyGroups": ("agent-group", 1),
}


@dataclass(frozen=True)
class UserDataRequest:
    resource: str  # which of _RESOURCE_FILTERS
    ids: frozenset[str]
    contact_states: frozenset[str] | None
    size: int
    key: str  # what was asked, for NextToken (MaxResults may change between pages)


def parse(body: Any) -> UserDataRequest:
    """The request, or ApiError naming the first broken rule."""
    if not isinstance(body, Mapping):
        raise ApiError(rules.INVALID_REQUEST, "Request: must be a JSON object")
    only_keys(body, ("InstanceId", "Filters", "NextToken", "MaxResults"), "Request")
    filters = body.get("Filters")
    if not isinstance(filters, Mapping):
        raise ApiError(rules.INVALID_PARAMETER, "Filters: required, an object")
    only_keys(filters, (*_RESOURCE_FILTERS, "ContactFilter"), "Filters")
    given = [name for name in _RESOURCE_FILTERS if filters.get(name) is not None]
    if len(given) != 1:
        raise ApiError(
            rules.INVALID_REQUEST,
            "Filters: give exactly one of Queues, RoutingProfiles, Agents and "
            f"UserHierarchyGroups; got {len(given)}",
        )
    resource = given[0]
    kind, most = _RESOURCE_FILTERS[resource]
    ids = id_list(filters[resource], kind, f"Filters.{resource}", minimum=1, maximum=most)
    states = _contact_states(filters.get("ContactFilter"))
    size = max_results(body.get("MaxResults"), default=MAX_RESULTS, maximum=MAX_RESULTS)
    if body.get("NextToken") is not None and not isinstance(body["NextToken"], str):
        raise ApiError(rules.INVALID_PARAMETER, "NextToken: must be a string")
    asked = {"resource": resource, "ids": sorted(set(ids)), "states": sorted(states or ())}
    key = hashlib.sha256(json.dumps(asked).encode()).hexdigest()
    return UserDataRequest(resource, frozenset(ids), states, size, f"GetCurrentUserData:{key}")


def _contact_states(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ApiError(rules.INVALID_PARAMETER, "Filters.ContactFilter: must be an object")
    only_keys(value, ("ContactStates",), "Filters.ContactFilter")
    states = value.get("ContactStates")
    if states is None:
        return None
    if not isinstance(states, list) or len(states) > len(CONTACT_STATES):
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"Filters.ContactFilter.ContactStates: a list of at most {len(CONTACT_STATES)}",
        )
    unknown = [state for state in states if state not in CONTACT_STATES]
    if unknown:
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"Filters.ContactFilter.ContactStates: {unknown!r} not among "
            f"{', '.join(CONTACT_STATES)}",
        )
    return frozenset(states) if states else None


def selected(topology: Topology, request: UserDataRequest) -> list[AgentInfo]:
    """The agents the resource filter names (logged in or not), in the centre's order."""
    ids = request.ids
    if request.resource == "Queues":
        # An agent is in a queue through their routing profile.
        profiles = {p.id for p in topology.profiles if any(q in ids for q, _ in p.pairs)}
        return [a for a in topology.agents if a.profile.id in profiles]
    if request.resource == "RoutingProfiles":
        return [a for a in topology.agents if a.profile.id in ids]
    if request.resource == "Agents":
        return [a for a in topology.agents if a.id in ids]
    return [a for a in topology.agents if {a.person.team.id, a.person.site.id} & ids]


def answer_rows(topology: Topology, request: UserDataRequest, t: float) -> list[AgentNow]:
    """Every logged-in agent the request selects at t, in the centre's order."""
    rows = []
    wanted = request.contact_states
    for agent in selected(topology, request):
        now = activity.agent_now(topology, agent, t)
        if now is None:
            continue
        # Only the states that have contacts need their contacts looked at.
        if wanted is not None and (
            not wanted & _POSSIBLE_STATES[now.state]
            or not any(contact.state in wanted for contact in detail(topology, now, t).contacts)
        ):
            continue
        rows.append(now)
    return rows


def user_data(topology: Topology, now: AgentNow, t: float) -> dict[str, Any]:
    """One UserData, as the wire carries it (timestamps in epoch seconds)."""
    row = detail(topology, now, t)
    agent = now.agent
    person = agent.person
    data: dict[str, Any] = {
        "User": {"Id": agent.id, "Arn": agent.arn},
        "RoutingProfile": {"Id": agent.profile.id, "Arn": agent.profile.arn},
        "HierarchyPath": {
            "LevelOne": {"Id": person.site.id, "Arn": person.site.arn},
            "LevelTwo": {"Id": person.team.id, "Arn": person.team.arn},
        },
        "Status": {
            "StatusStartTimestamp": round(row.status_start, 3),
            "StatusArn": row.status.arn,
            "StatusName": row.status.name,
        },
        "AvailableSlotsByChannel": {str(c): n for c, n in row.available_slots.items()},
        "MaxSlotsByChannel": {str(c): n for c, n in row.max_slots.items()},
        "ActiveSlotsByChannel": {str(c): n for c, n in row.active_slots.items()},
        "Contacts": [
            {
                "ContactId": contact.contact_id,
                "Channel": str(contact.channel),
                "InitiationMethod": contact.initiation_method,
                "AgentContactState": contact.state,
                "StateStartTimestamp": round(contact.state_start, 3),
                **(
                    {"ConnectedToAgentTimestamp": round(contact.connected_at, 3)}
                    if contact.connected_at is not None
                    else {}
                ),
                **(
                    {"Queue": {"Id": contact.queue.id, "Arn": contact.queue.arn}}
                    if contact.queue is not None
                    else {}
                ),
            }
            for contact in row.contacts
        ],
    }
    if row.next_status is not None:
        data["NextStatus"] = row.next_status.name
    return data
