"""The directory calls: SearchUsers, ListUsers, DescribeUser, ListAgentStatuses and
ListUserHierarchyGroups, for the agents GetCurrentUserData reports.

Each function returns every item of its answer in a fixed order; the centre pages them.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connectmetrics.connectapi import rules
from connectmetrics.simulator import rng
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.references import only_keys, resource_id
from connectmetrics.simulator.topology import AgentInfo, Topology

STATUS_TYPES = ("ROUTABLE", "CUSTOM", "OFFLINE")
SEARCH_MAX_RESULTS = 500
# SearchUsers string conditions the simulated centre answers, and what they compare.
_SEARCH_FIELDS: dict[str, Callable[[AgentInfo], str]] = {
    "username": lambda agent: agent.person.username,
    "firstname": lambda agent: agent.person.first_name,
    "lastname": lambda agent: agent.person.last_name,
    "resourceId": lambda agent: agent.id,
    "routingProfileId": lambda agent: agent.profile.id,
}
_COMPARISONS = ("STARTS_WITH", "CONTAINS", "EXACT")
_MATCH_TYPES = ("EXACT", "WITH_CHILD_GROUPS")
_MAX_DEPTH = 3  # nested Or/And conditions the centre follows
_STATUSES_MODIFIED = 1_704_067_200.0  # the agent statuses were set up on 1 January 2024

Matcher = Callable[[AgentInfo], bool]


def _security_profile(topology: Topology) -> str:
    return rng.stable_uuid(topology.seed, "security-profile", "Agent")


def _phone_config() -> dict[str, Any]:
    return {"PhoneType": "SOFT_PHONE", "AutoAccept": False, "AfterContactWorkTimeLimit": 0}


def search_users(topology: Topology, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every user the SearchCriteria match (all of them without criteria)."""
    if body.get("SearchFilter") is not None:
        raise ApiError(
            rules.INVALID_PARAMETER,
            "SearchFilter: the simulated centre's users have no tags or attributes to filter on",
        )
    criteria = body.get("SearchCriteria")
    matches = _matcher(topology, criteria, "SearchCriteria", 0) if criteria is not None else None
    return [
        {
            "Arn": agent.arn,
            "Id": agent.id,
            "Username": agent.person.username,
            "IdentityInfo": {
                "FirstName": agent.person.first_name,
                "LastName": agent.person.last_name,
            },
            "RoutingProfileId": agent.profile.id,
            "HierarchyGroupId": agent.person.team.id,
            "SecurityProfileIds": [_security_profile(topology)],
            "PhoneConfig": _phone_config(),
        }
        for agent in topology.agents
        if matches is None or matches(agent)
    ]


def _matcher(topology: Topology, criteria: object, field: str, depth: int) -> Matcher:
    if not isinstance(criteria, Mapping):
        raise ApiError(rules.INVALID_PARAMETER, f"{field}: must be an object")
    only_keys(
        criteria,
        ("OrConditions", "AndConditions", "StringCondition", "HierarchyGroupCondition"),
        field,
    )
    given = [key for key, value in criteria.items() if value is not None]
    if len(given) != 1:
        raise ApiError(
            rules.INVALID_REQUEST,
            f"{field}: give one of OrConditions, AndConditions, StringCondition and "
            "HierarchyGroupCondition",
        )
    key = given[0]
    value = criteria[key]
    if key in ("OrConditions", "AndConditions"):
        if depth >= _MAX_DEPTH or not isinstance(value, list) or not value:
            raise ApiError(
                rules.INVALID_PARAMETER,
                f"{field}.{key}: a non-empty list, nested at most {_MAX_DEPTH} deep",
            )
        parts = [
            _matcher(topology, part, f"{field}.{key}[{i}]", depth + 1)
            for i, part in enumerate(value)
        ]
        combine = any if key == "OrConditions" else all
        return lambda agent: combine(part(agent) for part in parts)
    if key == "StringCondition":
        return _string_condition(value, f"{field}.StringCondition")
    return _hierarchy_condition(topology, value, f"{field}.HierarchyGroupCondition")


def _string_condition(condition: object, field: str) -> Matcher:
    if not isinstance(condition, Mapping):
        raise ApiError(rules.INVALID_PARAMETER, f"{field}: must be an object")
    only_keys(condition, ("FieldName", "Value", "ComparisonType"), field)
    name, value, comparison = (
        condition.get("FieldName"),
        condition.get("Value"),
        condition.get("ComparisonType"),
    )
    if not isinstance(name, str) or name not in _SEARCH_FIELDS:
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"{field}.FieldName: one of {', '.join(_SEARCH_FIELDS)}; got {name!r}",
        )
    if not isinstance(value, str) or not value:
        raise ApiError(rules.INVALID_PARAMETER, f"{field}.Value: a non-empty string")
    if comparison not in _COMPARISONS:
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"{field}.ComparisonType: one of {', '.join(_COMPARISONS)}; got {comparison!r}",
        )
    read = _SEARCH_FIELDS[name]
    wanted = value.lower()
    if comparison == "EXACT":
        return lambda agent: read(agent) == value
    if comparison == "STARTS_WITH":
        return lambda agent: read(agent).lower().startswith(wanted)
    return lambda agent: wanted in read(agent).lower()


def _hierarchy_condition(topology: Topology, condition: object, field: str) -> Matcher:
    if not isinstance(condition, Mapping):
        raise ApiError(rules.INVALID_PARAMETER, f"{field}: must be an object")
    only_keys(condition, ("Value", "HierarchyGroupMatchType"), field)
    group = resource_id(condition.get("Value"), "agent-group", f"{field}.Value")
    match_type = condition.get("HierarchyGroupMatchType", "EXACT")
    if match_type not in _MATCH_TYPES:
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"{field}.HierarchyGroupMatchType: one of {', '.join(_MATCH_TYPES)}",
        )
    if match_type == "EXACT":
        return lambda agent: agent.person.team.id == group
    return lambda agent: group in (agent.person.team.id, agent.person.site.id)


def list_users(topology: Topology, region: str) -> list[dict[str, Any]]:
    return [
        {
            "Id": agent.id,
            "Arn": agent.arn,
            "Username": agent.person.username,
            "LastModifiedTime": agent.person.last_modified,
            "LastModifiedRegion": region,
        }
        for agent in topology.agents
    ]


def describe_user(topology: Topology, region: str, user_ref: str) -> dict[str, Any]:
    agent = topology.agent_by_id.get(resource_id(user_ref, "agent", "UserId"))
    if agent is None:
        raise ApiError("ResourceNotFoundException", f"User {user_ref} was not found.")
    person = agent.person
    return {
        "User": {
            "Id": agent.id,
            "Arn": agent.arn,
            "Username": person.username,
            "IdentityInfo": {
                "FirstName": person.first_name,
                "LastName": person.last_name,
                "Email": f"{person.username}@example.com",
            },
            "PhoneConfig": _phone_config(),
            "SecurityProfileIds": [_security_profile(topology)],
            "RoutingProfileId": agent.profile.id,
            "HierarchyGroupId": person.team.id,
            "LastModifiedTime": person.last_modified,
            "LastModifiedRegion": region,
        }
    }


def list_agent_statuses(
    topology: Topology, region: str, types: Sequence[str]
) -> list[dict[str, Any]]:
    unknown = [t for t in types if t not in STATUS_TYPES]
    if unknown or len(types) > len(STATUS_TYPES):
        raise ApiError(
            rules.INVALID_PARAMETER,
            f"AgentStatusTypes: at most {len(STATUS_TYPES)} of {', '.join(STATUS_TYPES)}; "
            f"got {list(types)}",
        )
    return [
        {
            "Id": status.id,
            "Arn": status.arn,
            "Name": status.name,
            "Type": status.type,
            "LastModifiedTime": _STATUSES_MODIFIED,
            "LastModifiedRegion": region,
        }
        for status in (*topology.statuses, topology.offline)
        if not types or status.type in types
    ]


def list_hierarchy_groups(topology: Topology, region: str) -> list[dict[str, Any]]:
    return [
        {
            "Id": group.id,
            "Arn": group.arn,
            "Name": group.name,
            "LastModifiedTime": group.last_modified,
            "LastModifiedRegion": region,
        }
        for group in topology.hierarchy_groups
    ]
