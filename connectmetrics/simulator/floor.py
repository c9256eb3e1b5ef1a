"""What one logged-in agent is doing at a moment, in GetCurrentUserData's terms.

The agent's state comes from ``activity`` (the same state GetCurrentMetricData
counts); this module dresses it as Connect reports it: the status the agent set
(which stays Available while they are on a contact), the contacts behind the
state, and the slots per channel.

- On contact: one voice call (sometimes on hold for part of it), or one to
  the profile's concurrency of chats or tasks, joining one after another.
- After contact work: the contact of the segment before, now ENDED.
- Error: a contact MISSED, REJECTED or in ERROR.
- Non-productive: a custom status (Break, Lunch, Training, Meeting), no contact.
- Available: the Available status and no contact.

Each contact is drawn from the segment that started it, so a contact keeps its
ID, queue and timestamps from the moment it connects until its after contact
work ends.
"""

from dataclasses import dataclass, replace
from typing import TypeVar

from connectmetrics.connectapi.catalogue import Channel
from connectmetrics.simulator import rng
from connectmetrics.simulator.activity import (
    AgentNow,
    AgentState,
    Segment,
    history,
    login_time,
    timeline,
)
from connectmetrics.simulator.recent import recent
from connectmetrics.simulator.topology import QueueInfo, StatusInfo, Topology

CONNECTED = "CONNECTED"
ON_HOLD = "CONNECTED_ONHOLD"
ENDED = "ENDED"
# How often each channel is the one an agent is busy on, among those their profile serves.
_CHANNEL_SHARE = {Channel.VOICE: 0.6, Channel.CHAT: 0.3, Channel.TASK: 0.1}
_VOICE_METHODS = (("INBOUND", 0.8), ("CALLBACK", 0.1), ("TRANSFER", 0.1))
_HOLD_SHARE = 0.25  # voice calls put on hold for part of the call
FAILED_STATES = (("MISSED", 0.7), ("REJECTED", 0.15), ("ERROR", 0.15))
_OPENING_CONTACT_AGE = 240.0  # how long ago a contact began when a block opens on it
_T = TypeVar("_T")


@dataclass(frozen=True)
class AgentContact:
    contact_id: str
    channel: Channel
    initiation_method: str
    state: str
    state_start: float
    connected_at: float | None
    queue: QueueInfo | None  # None for an outbound call


@dataclass(frozen=True)
class AgentDetail:
    now: AgentNow
    status: StatusInfo
    status_start: float
    next_status: StatusInfo | None
    contacts: tuple[AgentContact, ...]
    max_slots: dict[Channel, int]
    active_slots: dict[Channel, int]
    available_slots: dict[Channel, int]


def detail(topology: Topology, now: AgentNow, t: float) -> AgentDetail:
    agent = now.agent
    segments, current = timeline(topology.seed, agent.id, t)
    logged_in = login_time(agent, t)
    if segments[current].start < logged_in:
        # The agent's first state began when they logged in, not before.
        segments = tuple(
            replace(s, start=logged_in) if s.start < logged_in < s.end else s for s in segments
        )
    segment = segments[current]
    contacts = _contacts(topology, now, segments, current, t)
    status_start = _status_start(topology, agent.id, t, logged_in)
    following = segments[current + 1] if current + 1 < len(segments) else None
    next_status = None
    if (
        segment.state in (AgentState.ON_CONTACT, AgentState.AFTER_CONTACT_WORK)
        and following is not None
        and following.state is AgentState.NON_PRODUCTIVE
    ):
        # The agent chose a break while busy: Connect shows it as NextStatus.
        next_status = custom_status(topology, following)
    channels = sorted({channel for _, channel in agent.profile.pairs}) or [Channel.VOICE]
    concurrency = dict(agent.profile.concurrency)
    max_slots = {channel: concurrency.get(channel, 1) for channel in channels}
    active = {channel: 0 for channel in channels}
    for contact in contacts:
        if contact.state in (CONNECTED, ON_HOLD, ENDED):
            active[contact.channel] += 1
    busy = {channel for channel, count in active.items() if count}
    available = {
        channel: (
            0
            if now.state in (AgentState.NON_PRODUCTIVE, AgentState.ERROR)
            or (busy and channel not in busy)
            else max_slots[channel] - active[channel]
        )
        for channel in channels
    }
    return AgentDetail(
        now,
        now.status,
        max(status_start, logged_in),
        next_status,
        contacts,
        max_slots,
        active,
        available,
    )


def custom_status(topology: Topology, segment: Segment) -> StatusInfo:
    """The custom status of a non-productive segment (the same choice ``activity`` makes)."""
    customs = topology.custom_statuses
    return customs[int(segment.status_draw * len(customs))]


def _status_start(topology: Topology, agent_id: str, t: float, logged_in: float) -> float:
    """When the agent set the status they are in at t: the start of its run of segments,
    however far back it goes since they logged in."""
    current = next(history(topology.seed, agent_id, t))
    return _run_start(
        topology.seed, agent_id, logged_in, len(topology.custom_statuses), current.start
    )


# The run of the segment an agent is in, found once per segment (kept while near the
# latest moment asked, as every draw: recent.py).
@recent(1.0)
def _run_start(seed: int, agent_id: str, logged_in: float, customs: int, start: float) -> float:
    """The start of the run of segments in the same status as the one starting at `start`
    (the same custom status, or any state of the Available status), not before the login."""

    def status_of(segment: Segment) -> int | None:
        if segment.state is AgentState.NON_PRODUCTIVE:
            return int(segment.status_draw * customs)  # as ``custom_status`` picks it
        return None

    segments = history(seed, agent_id, start)
    status = status_of(next(segments))
    for segment in segments:
        if status_of(segment) != status or segment.start < logged_in:
            break
        start = segment.start
    return start


def _contacts(
    topology: Topology, now: AgentNow, segments: tuple[Segment, ...], current: int, t: float
) -> tuple[AgentContact, ...]:
    segment = segments[current]
    if now.state is AgentState.ON_CONTACT:
        return _on_contact(topology, now, segment, t)
    if now.state is AgentState.AFTER_CONTACT_WORK:
        # One contact's after contact work, however many segments it spans.
        while current > 0 and segments[current - 1].state is AgentState.AFTER_CONTACT_WORK:
            current -= 1
        segment = segments[current]
        previous = segments[current - 1] if current > 0 else None
        if previous is not None and previous.state is AgentState.ON_CONTACT:
            # The contact of the segment before ends; the last one to join is wrapped up.
            last = _on_contact(topology, now, previous, previous.end - 0.001)[-1]
        else:
            opened = Segment(segment.start - _OPENING_CONTACT_AGE, segment.start, segment.state, 0)
            last = _on_contact(topology, now, opened, segment.start - 0.001)[-1]
        return (
            AgentContact(
                last.contact_id,
                last.channel,
                last.initiation_method,
                ENDED,
                segment.start,
                last.connected_at,
                last.queue,
            ),
        )
    if now.state is AgentState.ERROR:
        draw = rng.stream(topology.seed, "failed-contact", now.agent.id, segment.start)
        channel, queue = _channel_and_queue(topology, now, draw.random(), draw.random())
        state = _pick(FAILED_STATES, draw.random())
        if state == "REJECTED" and channel is Channel.VOICE:
            state = "MISSED"  # a call rings out; chats and tasks are rejected
        return (
            AgentContact(
                rng.stable_uuid(topology.seed, "contact", now.agent.id, segment.start),
                channel,
                "OUTBOUND" if queue is None else "API" if channel is Channel.TASK else "INBOUND",
                state,
                segment.start,
                None,
                queue,
            ),
        )
    return ()


def _on_contact(
    topology: Topology, now: AgentNow, segment: Segment, t: float
) -> tuple[AgentContact, ...]:
    """The contacts of an on-contact segment at t (at least the first, connected at its start)."""
    draw = rng.stream(topology.seed, "agent-contact", now.agent.id, segment.start)
    channel, queue = _channel_and_queue(topology, now, draw.random(), draw.random())
    length = max(segment.end - segment.start, 1.0)
    method_draw, hold_draw, hold_at, count_draw = (draw.random() for _ in range(4))
    contact_id = rng.stable_uuid(topology.seed, "contact", now.agent.id, segment.start)
    if channel is Channel.VOICE:
        method = "OUTBOUND" if queue is None else _pick(_VOICE_METHODS, method_draw)
        hold_start = segment.start + length * (0.3 + 0.4 * hold_at)
        on_hold = hold_draw < _HOLD_SHARE and hold_start <= t < hold_start + length * 0.2
        # On hold, the contact keeps the StateStartTimestamp of its connection.
        return (
            AgentContact(
                contact_id,
                channel,
                method,
                ON_HOLD if on_hold else CONNECTED,
                segment.start,
                segment.start,
                queue,
            ),
        )
    concurrency = dict(now.agent.profile.concurrency).get(channel, 1)
    count = 1 + int(count_draw * concurrency)
    contacts = []
    for index in range(count):
        # Further chats or tasks join one after another during the segment.
        joined = segment.start + length * index / (count + 1)
        if joined > t:
            break
        queue_draw = draw.random()
        contacts.append(
            AgentContact(
                contact_id
                if index == 0
                else rng.stable_uuid(topology.seed, "contact", now.agent.id, segment.start, index),
                channel,
                "INBOUND" if channel is Channel.CHAT else "API",
                CONNECTED,
                joined,
                joined,
                queue if index == 0 else _queue(topology, now, channel, queue_draw),
            )
        )
    return tuple(contacts)


def _channel_and_queue(
    topology: Topology, now: AgentNow, channel_draw: float, queue_draw: float
) -> tuple[Channel, QueueInfo | None]:
    """The channel and queue of a contact; an outbound call, with no queue, for an agent
    whose routing profile serves no queue."""
    pairs = sorted(now.agent.profile.pairs)
    if not pairs:
        return Channel.VOICE, None
    channels = sorted({channel for _, channel in pairs})
    total = sum(_CHANNEL_SHARE[c] for c in channels)
    channel = _pick(tuple((c, _CHANNEL_SHARE[c] / total) for c in channels), channel_draw)
    return channel, _queue(topology, now, channel, queue_draw)


def _queue(topology: Topology, now: AgentNow, channel: Channel, draw: float) -> QueueInfo:
    """One of the queues the agent's routing profile serves on that channel."""
    queues = sorted(queue for queue, c in now.agent.profile.pairs if c is channel)
    return topology.queue_by_id[queues[int(draw * len(queues))]]


def _pick(choices: tuple[tuple[_T, float], ...], draw: float) -> _T:
    for choice, share in choices:
        if draw < share:
            return choice
        draw -= share
    return choices[-1][0]
