"""Which GetCurrentUserData requests an agent source's poll answers, and the answer.

The endpoints (connectmetrics/api/records.py) ask this before they spend quota: a
request is answered from the fresh poll of an enabled agent source of the instance
when every agent it returns is in that poll, and which of them are is known from the
UserData alone:

- the same contact states (none, or the same set);
- Agents or RoutingProfiles: the asked IDs among the source's, the poll's UserData
  picked by User or RoutingProfile;
- Queues or a hierarchy group: the same IDs (an agent's queues are not in its
  UserData, so a subset of the queues cannot be picked from the poll).
"""

from typing import Any

from connectmetrics.agents import rules
from connectmetrics.agents.models import AgentSource
from connectmetrics.api.records import Asked, Covered, source_poll
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator.userdata import UserDataRequest

# Resource filter -> the UserData member that tells which resource an agent is of.
_PICKED_BY = {rules.AGENTS: "User", rules.ROUTING_PROFILES: "RoutingProfile"}


def _id_of(value: str) -> str:
    """A resource ID given as ID or ARN (the ARN's last part)."""
    return value.rsplit("/", 1)[-1]


def _covers(source_request: dict[str, Any], asked: UserDataRequest) -> bool:
    filters = source_request["Filters"]
    states = filters.get("ContactFilter", {}).get("ContactStates") or []
    if frozenset(states) != (asked.contact_states or frozenset()):
        return False
    ids = {_id_of(value) for value in filters.get(asked.resource) or []}
    if asked.resource in _PICKED_BY:
        return asked.ids <= ids
    return asked.ids == ids


def _picked(records: list[dict[str, Any]], asked: UserDataRequest) -> list[dict[str, Any]]:
    member = _PICKED_BY.get(asked.resource)
    if member is None:
        return list(records)
    return [row for row in records if (row.get(member) or {}).get("Id") in asked.ids]


def cover(instance: ConnectInstance, asked: Asked) -> Covered | None:
    """The records of a fresh poll covering the request (the newest), or None."""
    request: UserDataRequest = asked.parsed
    best = None
    sources = AgentSource.objects.filter(instance=instance, enabled=True, resource=request.resource)
    for source in sources:
        if not _covers(source.to_request(), request):
            continue
        snapshot = source_poll(instance, source.source_key)
        if snapshot is not None and (best is None or snapshot.fetched_at > best.fetched_at):
            best = snapshot
    if best is None:
        return None
    return Covered(_picked(best.records, request), best.fetched_at)
