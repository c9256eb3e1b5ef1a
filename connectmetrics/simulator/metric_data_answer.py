"""GetMetricDataV2 over the simulated day: the contacts GetCurrentMetricData sees waiting.

Every contact that arrives in a queue (see ``activity``) counts in the
interval its arrival falls in, from the moment each fact about it is known:

- queued as soon as it arrives;
- abandoned, or answered (after its wait), when it leaves the queue;
- handled when its time with the agent (talk, hold, after contact work) ends.

So with a fixed StartTime the counts only grow as "now" moves on, and the
rates are their counts' ratios: SERVICE_LEVEL = answered within the threshold
/ queued, ABANDONMENT_RATE = abandoned / queued (percent).
MAX_QUEUED_TIME counts a contact still waiting with the time it has waited so
far, so it is never below an OLDEST_CONTACT_AGE the queue showed since
StartTime. Averages and rates with nothing to divide by, and MAX_QUEUED_TIME
with no contact, are null.

A contact counts in every routing profile that serves its queue and channel
(as in GetCurrentMetricData), and for the agent who answered it (see
``handlers``). Rows exist for each combination of grouping values that some
contact in the range has, with one row per interval.
"""

import itertools
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from math import ceil, floor
from typing import Any

from connectmetrics.simulator import activity
from connectmetrics.simulator.activity import BUCKET, Contact
from connectmetrics.simulator.handlers import Handlers
from connectmetrics.simulator.intervals import intervals
from connectmetrics.simulator.metric_data_request import (
    HIERARCHY_LEVELS,
    SUBTYPE,
    MetricAsked,
    MetricDataRequest,
)
from connectmetrics.simulator.topology import AgentInfo, ProfileInfo, Topology


@dataclass
class _Tally:
    queued: int = 0
    answered_waits: list[float] = field(default_factory=list)
    abandoned_waits: list[float] = field(default_factory=list)
    handled: int = 0
    handle_sum: float = 0.0
    max_queued: float | None = None


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    interval: tuple[float, float]
    values: list[float | None]  # in the order of the request's metrics


def compute_rows(
    topology: Topology, handlers: Handlers, request: MetricDataRequest, now: float
) -> list[Row]:
    spans = intervals(request.period, request.zone, request.start, request.end)
    starts = [start for start, _ in spans]
    tallies: dict[tuple[str, ...], list[_Tally]] = {}
    for contact, profiles, agent in _contacts(topology, handlers, request):
        span = bisect_right(starts, contact.start) - 1
        for key in _keys(request.groupings, contact, profiles, agent):
            row = tallies.get(key)
            if row is None:
                row = tallies[key] = [_Tally() for _ in spans]
            _count(row[span], contact, now)
    return [
        Row(key, spans[index], [_value(tally, metric) for metric in request.metrics])
        for key in sorted(tallies)
        for index, tally in enumerate(tallies[key])
    ]


def _contacts(
    topology: Topology, handlers: Handlers, request: MetricDataRequest
) -> Iterator[tuple[Contact, list[ProfileInfo], AgentInfo | None]]:
    """The contacts arriving in the range that the filters let through, with their
    routing profiles and agent."""
    filters = request.filters
    queues, channels = filters.get("QUEUE"), filters.get("CHANNEL")
    subtypes, wanted_profiles = filters.get(SUBTYPE), filters.get("ROUTING_PROFILE")
    buckets = range(floor(request.start / BUCKET), ceil(request.end / BUCKET))
    for queue in topology.queues:
        if queue.queue_type != "STANDARD" or (queues is not None and queue.id not in queues):
            continue
        for channel in queue.channels:
            if channels is not None and channel not in channels:
                continue
            profiles = [
                p
                for p in topology.profiles
                if (queue.id, channel) in p.pairs
                and (wanted_profiles is None or p.id in wanted_profiles)
            ]
            if wanted_profiles is not None and not profiles:
                continue
            for bucket in buckets:
                for contact in activity.arrivals(topology.seed, queue, channel, bucket):
                    if not request.start <= contact.start < request.end or (
                        subtypes is not None and contact.subtype not in subtypes
                    ):
                        continue
                    agent = handlers.agent_of(contact) if request.by_agent else None
                    if request.by_agent and not _agent_admitted(agent, filters):
                        continue
                    yield contact, profiles, agent


def _agent_admitted(agent: AgentInfo | None, filters: dict[str, frozenset[str]]) -> bool:
    for key, values in filters.items():
        if key == "AGENT" and (agent is None or agent.id not in values):
            return False
        if key in HIERARCHY_LEVELS and _level(agent, key) not in values:
            return False
    return True


def _level(agent: AgentInfo | None, key: str) -> str | None:
    """The agent's hierarchy group at that level (sites, then teams; no deeper levels)."""
    if agent is None:
        return None
    if key == "AGENT_HIERARCHY_LEVEL_ONE":
        return agent.person.site.id
    if key == "AGENT_HIERARCHY_LEVEL_TWO":
        return agent.person.team.id
    return None


def _keys(
    groupings: tuple[str, ...],
    contact: Contact,
    profiles: list[ProfileInfo],
    agent: AgentInfo | None,
) -> Iterator[tuple[str, ...]]:
    choices: list[list[str]] = []
    for grouping in groupings:
        if grouping == "QUEUE":
            choices.append([contact.queue_id])
        elif grouping == "CHANNEL":
            choices.append([str(contact.channel)])
        elif grouping == "ROUTING_PROFILE":
            choices.append([p.id for p in profiles])
        elif grouping == SUBTYPE:
            choices.append([contact.subtype] if contact.subtype else [])
        elif grouping == "AGENT":
            choices.append([agent.id] if agent else [])
        else:
            level = _level(agent, grouping)
            choices.append([level] if level else [])
    return itertools.product(*choices)


def _count(tally: _Tally, contact: Contact, now: float) -> None:
    tally.queued += 1
    waited = min(contact.end, now) - contact.start
    if tally.max_queued is None or waited > tally.max_queued:
        tally.max_queued = waited
    if contact.end > now:
        return  # still waiting
    if contact.abandoned:
        tally.abandoned_waits.append(contact.end - contact.start)
        return
    tally.answered_waits.append(contact.end - contact.start)
    if contact.end + contact.handle <= now:
        tally.handled += 1
        tally.handle_sum += contact.handle


def _within(waits: list[float], metric: MetricAsked) -> int:
    limit = metric.threshold or 0.0
    if metric.comparison == "LT":
        return sum(1 for wait in waits if wait < limit)
    return sum(1 for wait in waits if wait <= limit)


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return None if not whole else scale * part / whole


def _value(tally: _Tally, metric: MetricAsked) -> float | None:
    name = metric.name
    answered, abandoned = tally.answered_waits, tally.abandoned_waits
    values: dict[str, Any] = {
        "CONTACTS_QUEUED": lambda: float(tally.queued),
        "CONTACTS_HANDLED": lambda: float(tally.handled),
        "CONTACTS_ABANDONED": lambda: float(len(abandoned)),
        "ABANDONMENT_RATE": lambda: _ratio(len(abandoned), tally.queued, 100.0),
        "AVG_HANDLE_TIME": lambda: _ratio(tally.handle_sum, tally.handled),
        "AVG_QUEUE_ANSWER_TIME": lambda: _ratio(sum(answered), len(answered)),
        "AVG_ABANDON_TIME": lambda: _ratio(sum(abandoned), len(abandoned)),
        "MAX_QUEUED_TIME": lambda: tally.max_queued,
        "SERVICE_LEVEL": lambda: _ratio(_within(answered, metric), tally.queued, 100.0),
        "SUM_CONTACTS_ANSWERED_IN_X": lambda: float(_within(answered, metric)),
        "SUM_CONTACTS_ABANDONED_IN_X": lambda: float(_within(abandoned, metric)),
    }
    result: float | None = values[name]()
    return result


def dimensions(
    topology: Topology, groupings: tuple[str, ...], key: tuple[str, ...]
) -> dict[str, str]:
    found: dict[str, str] = {}
    for grouping, value in zip(groupings, key, strict=True):
        found[grouping] = value
        if grouping == "QUEUE":
            found["QUEUE_ARN"] = topology.queue_by_id[value].arn
        elif grouping == "ROUTING_PROFILE":
            found["ROUTING_PROFILE_ARN"] = topology.profile_by_id[value].arn
        elif grouping == "AGENT":
            found["AGENT_ARN"] = topology.agent_by_id[value].arn
        elif grouping in HIERARCHY_LEVELS:
            found[f"{grouping}_ARN"] = topology.group_by_id[value].arn
    return found
