"""GetCurrentMetricData over one snapshot: which rows, their values, their order.

Each agent logged in and each contact (waiting or scheduled) is a fact. A fact
lands in the rows its attributes project onto under the request's groupings:
an agent in every (queue, channel) its routing profile serves that the filters
let through, a contact in its own queue and channel. Rows exist only where some
fact landed, which is how idle queues (no contacts, no agents online) are left
out, as AWS does.

Agent metrics cannot be told per contact attribute (SUBTYPE,
VALIDATION_TEST_TYPE, ROUTING_STEP_EXPRESSION) and contact metrics cannot be
told per agent status, so those values are null ("could not be calculated").
"""

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from math import floor
from typing import Any

from connectmetrics.connectapi.catalogue import Channel, Grouping, SortOrder
from connectmetrics.simulator.activity import (
    HANDLE_SECONDS,
    AgentState,
    Contact,
    Snapshot,
)
from connectmetrics.simulator.topology import ProfileInfo, StatusInfo, Topology

_AGENT_ONLY = frozenset({Grouping.AGENT_STATUS})
_CONTACT_ONLY = frozenset(
    {Grouping.SUBTYPE, Grouping.VALIDATION_TEST_TYPE, Grouping.ROUTING_STEP_EXPRESSION}
)


@dataclass
class _Tally:
    states: Counter[AgentState] = field(default_factory=Counter)
    free_slots: int = 0
    waiting: int = 0
    oldest_start: float | None = None
    scheduled: int = 0


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    dimensions: dict[str, Any]
    values: dict[str, float | None]  # every metric of the catalogue


class _Scope:
    """What the request's Filters let through."""

    def __init__(self, topology: Topology, filters: Mapping[str, list[str]]) -> None:
        self.queues = set(filters["Queues"]) if "Queues" in filters else None
        self.channels = set(filters["Channels"]) if "Channels" in filters else None
        self.statuses = set(filters["AgentStatuses"]) if "AgentStatuses" in filters else None
        self.subtypes = set(filters["Subtypes"]) if "Subtypes" in filters else None
        # No contact of the simulated centre is a validation test or was routed
        # by routing criteria, so these filters let no contact through.
        self.contact_attributes = "ValidationTestTypes" in filters or (
            "RoutingStepExpressions" in filters
        )
        wanted = set(filters["RoutingProfiles"]) if "RoutingProfiles" in filters else None
        self.profiles = [
            p
            for p in topology.profiles
            if (wanted is None or p.id in wanted)
            and (self.queues is None or any(q in self.queues for q, _ in p.pairs))
        ]
        # With a RoutingProfiles filter, the contacts are those of the
        # (queue, channel) pairs the profiles serve.
        self.pairs = None if wanted is None else {pair for p in self.profiles for pair in p.pairs}

    def agent_pairs(self, profile: ProfileInfo, status: StatusInfo) -> list[tuple[str, Channel]]:
        if profile not in self.profiles:
            return []
        if self.statuses is not None and not {status.id, status.arn} & self.statuses:
            return []
        return [
            (queue, channel)
            for queue, channel in profile.pairs
            if (self.queues is None or queue in self.queues)
            and (self.channels is None or channel in self.channels)
        ]

    def admits(self, contact: Contact) -> bool:
        return (
            not self.contact_attributes
            and (self.queues is None or contact.queue_id in self.queues)
            and (self.pairs is None or (contact.queue_id, contact.channel) in self.pairs)
            and (self.channels is None or contact.channel in self.channels)
            and (self.subtypes is None or contact.subtype in self.subtypes)
        )


def compute_rows(topology: Topology, snap: Snapshot, canonical: Mapping[str, Any]) -> list[Row]:
    """Every row of the answer, in the requested order."""
    filters = canonical["Filters"]
    groupings: list[str] = canonical["Groupings"]
    scope = _Scope(topology, filters)
    tallies: dict[tuple[str, ...], _Tally] = {}

    if not _CONTACT_ONLY.intersection(groupings):
        # Agents in the same routing profile, state and status count alike: count
        # each such group once (a centre of thousands has a few dozen groups).
        alike = Counter((now.agent.profile.id, now.state, now.status.id) for now in snap.agents)
        statuses = {status.id: status for status in topology.statuses}
        for (profile_id, state, status_id), count in alike.items():
            profile, status = topology.profile_by_id[profile_id], statuses[status_id]
            _tally_agents(
                tallies,
                groupings,
                profile,
                state,
                status,
                scope.agent_pairs(profile, status),
                count,
            )
    if not _AGENT_ONLY.intersection(groupings):
        for contacts, waiting in ((snap.waiting, True), (snap.scheduled, False)):
            for contact in contacts:
                if scope.admits(contact):
                    for key in _contact_keys(groupings, contact, scope.profiles):
                        tally = tallies.setdefault(key, _Tally())
                        if waiting:
                            tally.waiting += 1
                            if tally.oldest_start is None or contact.start < tally.oldest_start:
                                tally.oldest_start = contact.start
                        else:
                            tally.scheduled += 1

    estimable = groupings == [Grouping.QUEUE, Grouping.CHANNEL] and {"Queues", "Channels"} <= set(
        filters
    )
    rows = [
        Row(
            key,
            _dimensions(topology, groupings, key),
            _values(tally, groupings, key, snap.time, estimable),
        )
        for key, tally in tallies.items()
    ]
    sort = canonical["SortCriteria"][0]
    metric, descending = sort["SortByMetric"], sort["SortOrder"] == SortOrder.DESCENDING

    def order(row: Row) -> tuple[bool, float, tuple[str, ...]]:
        value = row.values[metric]
        # Rows whose sort value is unknown come last either way.
        return (value is None, 0.0 if value is None else (-value if descending else value), row.key)

    return sorted(rows, key=order)


def _tally_agents(
    tallies: dict[tuple[str, ...], _Tally],
    groupings: list[str],
    profile: ProfileInfo,
    state: AgentState,
    status: StatusInfo,
    pairs: list[tuple[str, Channel]],
    count: int,
) -> None:
    """Count ``count`` agents of one routing profile, state and status."""
    # One agent counts once per row, however many of its pairs land there;
    # its free slots count once per channel of the row.
    channels_by_key: dict[tuple[str, ...], set[Channel]] = {}
    for queue, channel in pairs:
        key = tuple(_agent_value(g, profile, status, queue, channel) for g in groupings)
        channels_by_key.setdefault(key, set()).add(channel)
    concurrency = dict(profile.concurrency)
    for key, channels in channels_by_key.items():
        tally = tallies.setdefault(key, _Tally())
        tally.states[state] += count
        if state is AgentState.AVAILABLE:
            tally.free_slots += count * sum(concurrency.get(channel, 0) for channel in channels)


def _agent_value(
    grouping: str, profile: ProfileInfo, status: StatusInfo, queue: str, channel: Channel
) -> str:
    if grouping == Grouping.QUEUE:
        return queue
    if grouping == Grouping.CHANNEL:
        return str(channel)
    if grouping == Grouping.ROUTING_PROFILE:
        return profile.id
    return status.id  # AGENT_STATUS, the only other grouping agents have


def _contact_keys(
    groupings: list[str], contact: Contact, profiles: Iterable[ProfileInfo]
) -> Iterable[tuple[str, ...]]:
    choices: list[list[str]] = []
    for grouping in groupings:
        if grouping == Grouping.QUEUE:
            choices.append([contact.queue_id])
        elif grouping == Grouping.CHANNEL:
            choices.append([str(contact.channel)])
        elif grouping == Grouping.ROUTING_PROFILE:
            pair = (contact.queue_id, contact.channel)
            choices.append([p.id for p in profiles if pair in p.pairs])
        elif grouping == Grouping.SUBTYPE:
            choices.append([contact.subtype] if contact.subtype else [])
        else:
            # VALIDATION_TEST_TYPE, ROUTING_STEP_EXPRESSION: no contact has one.
            choices.append([])
    return itertools.product(*choices)


def _values(
    tally: _Tally, groupings: list[str], key: tuple[str, ...], t: float, estimable: bool
) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    if _CONTACT_ONLY.intersection(groupings):
        agents: dict[str, float | None] = dict.fromkeys(_AGENT_METRICS)
    else:
        s = tally.states
        on_contact = float(s[AgentState.ON_CONTACT])
        agents = {
            "AGENTS_ONLINE": float(s.total()),
            "AGENTS_AVAILABLE": float(s[AgentState.AVAILABLE]),
            "AGENTS_ON_CALL": on_contact,
            "AGENTS_ON_CONTACT": on_contact,
            "AGENTS_NON_PRODUCTIVE": float(s[AgentState.NON_PRODUCTIVE]),
            "AGENTS_AFTER_CONTACT_WORK": float(s[AgentState.AFTER_CONTACT_WORK]),
            "AGENTS_ERROR": float(s[AgentState.ERROR]),
            "AGENTS_STAFFED": float(
                s[AgentState.AVAILABLE]
                + s[AgentState.ON_CONTACT]
                + s[AgentState.AFTER_CONTACT_WORK]
            ),
            # One contact per agent on or after a contact; free slots of available agents.
            "SLOTS_ACTIVE": float(s[AgentState.ON_CONTACT] + s[AgentState.AFTER_CONTACT_WORK]),
            "SLOTS_AVAILABLE": float(tally.free_slots),
        }
    values.update(agents)
    if _AGENT_ONLY.intersection(groupings):
        values.update(dict.fromkeys(_CONTACT_METRICS))
        return values
    values["CONTACTS_IN_QUEUE"] = float(tally.waiting)
    values["CONTACTS_SCHEDULED"] = float(tally.scheduled)
    values["OLDEST_CONTACT_AGE"] = _oldest_age(tally.oldest_start, t, grouped=bool(groupings))
    staffed = agents["AGENTS_STAFFED"]
    if estimable and staffed:
        channel = Channel(key[1])
        values["ESTIMATED_WAIT_TIME"] = float(
            round(tally.waiting * HANDLE_SECONDS.get(channel, 300.0) / staffed)
        )
    else:
        values["ESTIMATED_WAIT_TIME"] = None
    return values


_AGENT_METRICS = (
    "AGENTS_ONLINE",
    "AGENTS_AVAILABLE",
    "AGENTS_ON_CALL",
    "AGENTS_ON_CONTACT",
    "AGENTS_NON_PRODUCTIVE",
    "AGENTS_AFTER_CONTACT_WORK",
    "AGENTS_ERROR",
    "AGENTS_STAFFED",
    "SLOTS_ACTIVE",
    "SLOTS_AVAILABLE",
)
_CONTACT_METRICS = (
    "CONTACTS_IN_QUEUE",
    "CONTACTS_SCHEDULED",
    "OLDEST_CONTACT_AGE",
    "ESTIMATED_WAIT_TIME",
)


def _oldest_age(oldest_start: float | None, t: float, *, grouped: bool) -> float:
    """Whole seconds with groupings; whole milliseconds without (AWS's quirk). 0 when none wait."""
    if oldest_start is None:
        return 0.0
    milliseconds = floor((t - oldest_start) * 1000.0)
    return float(milliseconds // 1000 if grouped else milliseconds)


def _dimensions(topology: Topology, groupings: list[str], key: tuple[str, ...]) -> dict[str, Any]:
    dimensions: dict[str, Any] = {}
    for grouping, value in zip(groupings, key, strict=True):
        if grouping == Grouping.QUEUE:
            dimensions["Queue"] = {"Id": value, "Arn": topology.queue_by_id[value].arn}
        elif grouping == Grouping.CHANNEL:
            dimensions["Channel"] = value
        elif grouping == Grouping.ROUTING_PROFILE:
            dimensions["RoutingProfile"] = {
                "Id": value,
                "Arn": topology.profile_by_id[value].arn,
            }
        elif grouping == Grouping.AGENT_STATUS:
            status = next(s for s in topology.statuses if s.id == value)
            dimensions["AgentStatus"] = {"Id": status.id, "Arn": status.arn}
        elif grouping == Grouping.SUBTYPE:
            dimensions["Subtype"] = value
    return dimensions
