"""What happens in a simulated centre: the state at any moment, as a pure function of time.

Two processes with the same seed must see the same centre at the same moment
without talking to each other, so nothing here is stored or stepped forward:

- Contacts are drawn per (queue, channel, five-minute bucket) from a generator
  seeded by those ids: how many arrive (Poisson, following a time-of-day curve),
  when each arrives, and when it leaves the queue (answered, or abandoned when
  the caller's patience runs out first). "In queue at t" is then
  ``arrival <= t < leave``, and the oldest contact's age follows.
- Callbacks are drawn the same way for voice queues: requested at some moment,
  due some minutes later, "scheduled" in between.
- Each agent's day is a shift (logged in or not) and, while logged in, a run of
  states drawn per (agent, half-hour block): available, on contact, after
  contact work, non-productive (in a custom status such as Lunch) or error.
  One state at a time, by construction. A block's states begin at its seam,
  a moment drawn per agent shortly before the block's start, and run until the
  next block's seam: a state under way at a block's start keeps the moment it
  began, and no two agents change state at the same moment.

Everything drawn is kept per bucket, block or day while it is near the latest
moment asked (``recent``), so successive polls reuse most of the work and a
centre left running for weeks holds about a day of draws.
"""

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from math import exp, floor, log

from connectmetrics.connectapi.catalogue import Channel
from connectmetrics.simulator import rng
from connectmetrics.simulator.recent import recent
from connectmetrics.simulator.topology import AgentInfo, QueueInfo, StatusInfo, Topology

DAY = 86_400.0
BUCKET = 300.0  # contacts are drawn per five minutes
BLOCK = 1_800.0  # agent states are drawn per half hour
MAX_WAIT = 1_800.0  # nobody waits longer than this: bounds how far back to look
MAX_CALLBACK_DELAY = 3_600.0
# How long before its block's start an agent's block begins: a mean, and at most half a block.
_SEAM_AGE = 150.0
OPENING_HOURS = (7.0, 21.0)  # UTC, for queues that are not open around the clock

# Arrivals per second at the busiest moment, per channel, for a queue of weight 1.
_PEAK_RATE = {Channel.VOICE: 1.2 / 60, Channel.CHAT: 0.6 / 60, Channel.TASK: 0.3 / 60}
_CALLBACK_RATE = 0.04 / 60  # callbacks requested per second at the peak, per voice queue
# Mean patience before abandoning; tasks never abandon.
_PATIENCE = {Channel.VOICE: 240.0, Channel.CHAT: 420.0}
# Mean seconds an answered contact spends with an agent, after contact work included.
HANDLE_SECONDS = {Channel.VOICE: 300.0, Channel.CHAT: 420.0, Channel.TASK: 600.0}
_SUBTYPES = {
    Channel.VOICE: (("connect:Telephony", 0.9), ("connect:WebRTC", 0.1)),
    Channel.CHAT: (("connect:Chat", 0.8), ("connect:SMS", 0.2)),
}
SUBTYPES: tuple[str, ...] = tuple(name for pairs in _SUBTYPES.values() for name, _ in pairs)


class AgentState(StrEnum):
    AVAILABLE = "AVAILABLE"
    ON_CONTACT = "ON_CONTACT"
    AFTER_CONTACT_WORK = "AFTER_CONTACT_WORK"
    NON_PRODUCTIVE = "NON_PRODUCTIVE"
    ERROR = "ERROR"


# Mean seconds in each state, and where an agent goes next (with probabilities).
_MEAN_SECONDS = {
    AgentState.AVAILABLE: 70.0,
    AgentState.ON_CONTACT: 260.0,
    AgentState.AFTER_CONTACT_WORK: 45.0,
    AgentState.NON_PRODUCTIVE: 600.0,
    AgentState.ERROR: 40.0,
}
_NEXT: dict[AgentState, tuple[tuple[AgentState, float], ...]] = {
    AgentState.AVAILABLE: (
        (AgentState.ON_CONTACT, 0.86),
        (AgentState.NON_PRODUCTIVE, 0.11),
        (AgentState.ERROR, 0.03),
    ),
    AgentState.ON_CONTACT: ((AgentState.AFTER_CONTACT_WORK, 0.9), (AgentState.AVAILABLE, 0.1)),
    AgentState.AFTER_CONTACT_WORK: ((AgentState.AVAILABLE, 0.9), (AgentState.NON_PRODUCTIVE, 0.1)),
    AgentState.NON_PRODUCTIVE: ((AgentState.AVAILABLE, 1.0),),
    AgentState.ERROR: ((AgentState.AVAILABLE, 1.0),),
}
_ABSENCE_SHARE = 0.08  # agents off on a given day


@dataclass(frozen=True)
class Contact:
    """A contact counted from ``start`` until ``end`` (waiting, or a callback due).

    A contact that waited in queue left it at ``end`` either abandoned or
    answered; an answered one then spent ``handle`` seconds with an agent
    (talk, hold and after contact work).
    """

    queue_id: str
    channel: Channel
    subtype: str | None
    start: float
    end: float
    abandoned: bool = False
    handle: float = 0.0


@dataclass(frozen=True)
class Segment:
    """A stretch of one agent's time in one state."""

    start: float
    end: float
    state: AgentState
    status_draw: float  # picks the custom status of a non-productive segment


@dataclass(frozen=True)
class AgentNow:
    agent: AgentInfo
    state: AgentState
    status: StatusInfo


@dataclass(frozen=True)
class Snapshot:
    """The centre at one moment."""

    time: float
    agents: tuple[AgentNow, ...]  # agents logged in
    waiting: tuple[Contact, ...]  # contacts in queue
    scheduled: tuple[Contact, ...]  # callbacks scheduled


def load(t: float) -> float:
    """How busy the centre is at time t, from 0.15 at night to 1 at the mid-morning peak."""
    hour = (t % DAY) / 3600.0

    def bump(centre: float, width: float) -> float:
        return exp(-(((hour - centre) / width) ** 2) / 2.0)

    return 0.15 + 0.85 * max(bump(10.5, 2.0), 0.85 * bump(14.5, 2.2))


def is_open(queue: QueueInfo, t: float) -> bool:
    hour = (t % DAY) / 3600.0
    return queue.always_open or OPENING_HOURS[0] <= hour < OPENING_HOURS[1]


def snapshot(topology: Topology, t: float) -> Snapshot:
    seed = topology.seed
    agents = tuple(now for agent in topology.agents if (now := agent_now(topology, agent, t)))
    waiting: list[Contact] = []
    scheduled: list[Contact] = []
    for queue in topology.queues:
        for channel in queue.channels:
            waiting.extend(
                c
                for c in _recent(seed, queue, channel, t, MAX_WAIT, arrivals)
                if c.start <= t < c.end
            )
        if Channel.VOICE in queue.channels:
            scheduled.extend(
                c
                for c in _recent(seed, queue, Channel.VOICE, t, MAX_CALLBACK_DELAY, _callbacks)
                if c.start <= t < c.end
            )
    return Snapshot(t, agents, tuple(waiting), tuple(scheduled))


def _recent(
    seed: int,
    queue: QueueInfo,
    channel: Channel,
    t: float,
    lookback: float,
    draw: Callable[[int, QueueInfo, Channel, int], tuple[Contact, ...]],
) -> Iterator[Contact]:
    for bucket in range(floor((t - lookback) / BUCKET), floor(t / BUCKET) + 1):
        yield from draw(seed, queue, channel, bucket)


@recent(BUCKET)
def arrivals(seed: int, queue: QueueInfo, channel: Channel, bucket: int) -> tuple[Contact, ...]:
    """The contacts that arrive in one queue and channel in one five-minute bucket."""
    start = bucket * BUCKET
    if not is_open(queue, start):
        return ()
    draw = rng.stream(seed, "arrivals", queue.id, channel, bucket)
    busy = load(start + BUCKET / 2)
    count = rng.poisson(draw, _PEAK_RATE[channel] * queue.weight * busy * BUCKET)
    drawn = []
    for _ in range(count):
        arrival = start + draw.random() * BUCKET
        # Busier moments mean longer waits.
        answer_after = rng.exponential(draw, 15.0 + 150.0 * busy)
        patience = _PATIENCE.get(channel)
        gave_up = None if patience is None else rng.exponential(draw, patience)
        abandoned = gave_up is not None and gave_up < answer_after
        waited = gave_up if gave_up is not None and abandoned else answer_after
        drawn.append((arrival, min(waited, MAX_WAIT), abandoned, _subtype(draw.random(), channel)))
    # Handle times are drawn after everything else, so adding them left every
    # other draw (and so the current metrics) as it was.
    return tuple(
        Contact(
            queue.id,
            channel,
            subtype,
            arrival,
            arrival + waited,
            abandoned,
            0.0 if abandoned else 20.0 + rng.exponential(draw, HANDLE_SECONDS[channel] - 20.0),
        )
        for arrival, waited, abandoned, subtype in drawn
    )


@recent(BUCKET)
def _callbacks(seed: int, queue: QueueInfo, channel: Channel, bucket: int) -> tuple[Contact, ...]:
    start = bucket * BUCKET
    if not is_open(queue, start):
        return ()
    draw = rng.stream(seed, "callbacks", queue.id, bucket)
    count = rng.poisson(draw, _CALLBACK_RATE * queue.weight * load(start) * BUCKET)
    contacts = []
    for _ in range(count):
        requested = start + draw.random() * BUCKET
        due = requested + 300.0 + draw.random() * (MAX_CALLBACK_DELAY - 300.0)
        contacts.append(Contact(queue.id, channel, "connect:Telephony", requested, due))
    return tuple(contacts)


def _subtype(draw: float, channel: Channel) -> str | None:
    for name, share in _SUBTYPES.get(channel, ()):
        if draw < share:
            return name
        draw -= share
    return None


def agent_now(topology: Topology, agent: AgentInfo, t: float) -> AgentNow | None:
    """The agent's state and status at t, or None when not logged in."""
    if not logged_in(topology.seed, agent, t):
        return None
    segments, current = timeline(topology.seed, agent.id, t)
    segment = segments[current]
    if segment.state is AgentState.NON_PRODUCTIVE:
        customs = topology.custom_statuses
        return AgentNow(agent, segment.state, customs[int(segment.status_draw * len(customs))])
    # Agents on or after a contact, or in error, are still in the Available status.
    return AgentNow(agent, segment.state, topology.available)


def timeline(seed: int, agent_id: str, t: float) -> tuple[tuple[Segment, ...], int]:
    """The agent's segments around t (at least one before the one holding t), and which
    holds t.

    Whether the agent is logged in is not considered: see ``login_time``.
    """
    segments, starts = _timeline(seed, agent_id, floor(t / BLOCK))
    return segments, bisect_right(starts, t) - 1


def history(seed: int, agent_id: str, t: float) -> Iterator[Segment]:
    """The segment holding t, then those before it, latest first, without end."""
    block = floor(t / BLOCK) + 1
    while True:
        for segment in reversed(_segments(seed, agent_id, block)):
            if segment.start <= t:
                yield segment
        block -= 1


@recent(BLOCK)
def _timeline(
    seed: int, agent_id: str, block: int
) -> tuple[tuple[Segment, ...], tuple[float, ...]]:
    # The block's segments run from its seam, before its start, to the next block's seam,
    # after its end: t in the block is in this block's segments or the next one's.
    segments = tuple(s for b in (block - 1, block, block + 1) for s in _segments(seed, agent_id, b))
    return segments, tuple(segment.start for segment in segments)


def login_time(agent: AgentInfo, t: float) -> float:
    """When the agent's current (or latest) shift began."""
    start = agent.shift[0] * 3600.0
    return t - (t - start) % DAY


def logged_in(seed: int, agent: AgentInfo, t: float) -> bool:
    """Whether the agent is logged in at t (on shift and not absent that day)."""
    start, end = agent.shift
    # Measure from the start of the shift, so a night shift is one "day".
    since_start = (t - start * 3600.0) % DAY
    length = ((end - start) % 24) * 3600.0
    if since_start >= length:
        return False
    return not _absent(seed, agent.id, floor((t - start * 3600.0) / DAY))


@recent(DAY)
def _absent(seed: int, agent_id: str, day: int) -> bool:
    return rng.unit(seed, "absent", agent_id, day) < _ABSENCE_SHARE


def _seam(seed: int, agent_id: str, block: int) -> float:
    """When the agent's segments of a block begin: a moment of its own before the block's start."""
    age = -_SEAM_AGE * log(1.0 - rng.unit(seed, "agent-seam", agent_id, block))
    return block * BLOCK - min(age, BLOCK / 2)


@recent(BLOCK)
def _segments(seed: int, agent_id: str, block: int) -> tuple[Segment, ...]:
    """One agent's segments from the block's seam to the next block's."""
    draw = rng.stream(seed, "agent-states", agent_id, block)
    busy = load(block * BLOCK + BLOCK / 2)
    # The block opens in a state drawn for how busy the centre is.
    opening = draw.random()
    if opening < 0.55 * busy + 0.1:
        state = AgentState.ON_CONTACT
    elif opening < 0.7 * busy + 0.2:
        state = AgentState.AFTER_CONTACT_WORK
    elif opening < 0.93:
        state = AgentState.AVAILABLE
    elif opening < 0.99:
        state = AgentState.NON_PRODUCTIVE
    else:
        state = AgentState.ERROR
    end = _seam(seed, agent_id, block + 1)
    drawn = []
    cursor = _seam(seed, agent_id, block)
    while cursor < end:
        drawn.append((cursor, state, draw.random()))
        mean = _MEAN_SECONDS[state]
        if state is AgentState.AVAILABLE:
            # Quiet moments mean longer waits for the next contact.
            mean *= 2.2 - 1.8 * busy
        cursor += max(5.0, rng.exponential(draw, mean))
        state = _next_state(draw.random(), state)
    ends = [start for start, _, _ in drawn[1:]] + [end]
    return tuple(
        Segment(start, segment_end, state, status_draw)
        for (start, state, status_draw), segment_end in zip(drawn, ends, strict=True)
    )


def _next_state(draw: float, state: AgentState) -> AgentState:
    for candidate, share in _NEXT[state]:
        if draw < share:
            return candidate
        draw -= share
    return _NEXT[state][-1][0]
