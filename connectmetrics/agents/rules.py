"""An agent source's GetCurrentUserData request, and its rules.

The rules are the ones the simulated centre enforces, as botocore's model and the
API reference state them (connectmetrics/simulator/userdata.py `parse`): written
once there and reused here, so the admin, the poller and the simulated centre
refuse the same requests with the same words. A source may name more resources
than one request takes (a whole centre's queues): the poller then sends one
request per batch of 100 (fetch.py), and each batch is checked.
"""

from collections.abc import Mapping
from typing import Any

from connectmetrics.client.outcomes import Violation
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.userdata import CONTACT_STATES, MAX_RESULTS, parse

# The resource filters, as the source's `resource` names them.
QUEUES = "Queues"
ROUTING_PROFILES = "RoutingProfiles"
HIERARCHY_GROUP = "UserHierarchyGroups"
AGENTS = "Agents"
BATCH = 100  # resource IDs per request (one hierarchy group)

# The source's model field each part of the request comes from (the admin's field errors).
FIELDS = {
    f"Filters.{QUEUES}": "queues",
    f"Filters.{ROUTING_PROFILES}": "routing_profiles",
    f"Filters.{HIERARCHY_GROUP}": "hierarchy_group_id",
    f"Filters.{AGENTS}": "agent_ids",
    "Filters.ContactFilter": "contact_states",
}


def build_request(resource: str, ids: list[str], contact_states: list[str]) -> dict[str, Any]:
    """The request (without InstanceId and NextToken), all the source's IDs in one list."""
    filters: dict[str, Any] = {resource: list(ids)}
    if contact_states:
        filters["ContactFilter"] = {"ContactStates": list(contact_states)}
    return {"Filters": filters, "MaxResults": MAX_RESULTS}


def batches(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The requests to send: the source's IDs in batches of 100 (none when it names none)."""
    filters = dict(request["Filters"])
    (resource,) = [name for name in filters if name != "ContactFilter"]
    ids = list(filters[resource])
    if not ids:
        return [dict(request)]
    out = []
    for start in range(0, len(ids), BATCH):
        out.append({**request, "Filters": {**filters, resource: ids[start : start + BATCH]}})
    return out


def field_of(message: str) -> str:
    for prefix, field in FIELDS.items():
        if message.startswith(prefix):
            return field
    return ""


def check_request(request: Mapping[str, Any]) -> list[Violation]:
    """What the rules refuse in the request (every batch of it); empty when it is valid."""
    for batch in batches(request):
        try:
            parse(batch)
        except ApiError as error:
            return [Violation(error.code, field_of(error.message), error.message)]
    return []


__all__ = [
    "AGENTS",
    "BATCH",
    "CONTACT_STATES",
    "HIERARCHY_GROUP",
    "QUEUES",
    "ROUTING_PROFILES",
    "Violation",
    "batches",
    "build_request",
    "check_request",
]
