"""The fixed structure of a simulated centre: queues, routing profiles, agents, statuses.

Built once from the seed and the size parameters; it never changes with time.
Every ID is derived from the seed, so every process builds the same centre.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from connectmetrics.connectapi.catalogue import Channel
from connectmetrics.simulator import rng
from connectmetrics.simulator.people import HierarchyGroup, Person, build_people

# The channels the simulated centre has contacts on. EMAIL is a valid filter
# value but the centre has no email contacts or agents, like many real ones.
CHANNELS: tuple[Channel, ...] = (Channel.VOICE, Channel.CHAT, Channel.TASK)

# Realistic queue names with the channels each serves and whether it is open
# around the clock (the others open 07:00-21:00 UTC).
_DEFAULT_QUEUES: tuple[tuple[str, tuple[Channel, ...], bool], ...] = (
    ("Sales", (Channel.VOICE, Channel.CHAT), False),
    ("Billing", (Channel.VOICE, Channel.CHAT), False),
    ("Tech Support L1", (Channel.VOICE, Channel.CHAT, Channel.TASK), True),
    ("Tech Support L2", (Channel.VOICE, Channel.TASK), False),
    ("Customer Care", (Channel.VOICE, Channel.CHAT), True),
    ("Returns", (Channel.VOICE, Channel.TASK), False),
    ("Orders", (Channel.VOICE, Channel.CHAT), False),
    ("Deliveries", (Channel.VOICE, Channel.CHAT, Channel.TASK), False),
    ("Account Management", (Channel.VOICE,), False),
    ("Retention", (Channel.VOICE,), False),
    ("Complaints", (Channel.VOICE, Channel.TASK), False),
    ("Claims", (Channel.VOICE, Channel.TASK), False),
    ("New Customers", (Channel.VOICE, Channel.CHAT), False),
    ("Payments", (Channel.VOICE, Channel.CHAT), False),
    ("Fraud", (Channel.VOICE,), True),
    ("VIP", (Channel.VOICE,), False),
    ("Spanish Line", (Channel.VOICE, Channel.CHAT), False),
    ("Web Chat", (Channel.CHAT,), True),
    ("Social Media", (Channel.CHAT, Channel.TASK), False),
    ("Back Office", (Channel.TASK,), False),
    ("Callbacks", (Channel.VOICE,), False),
    ("Partners", (Channel.VOICE, Channel.CHAT), False),
    ("Escalations", (Channel.VOICE, Channel.TASK), False),
    ("Outbound", (Channel.VOICE,), False),
)
_DEFAULT_SHAPES = {name: (channels, open_) for name, channels, open_ in _DEFAULT_QUEUES}
_PROFILE_NAMES = ("Front Office", "Service Desk", "Back Office", "Digital", "Specialists")
_CUSTOM_STATUSES = ("Break", "Lunch", "Training", "Meeting")

# Shifts as (start hour, end hour) in UTC, and the share of agents on each.
# The night shift (which wraps past midnight) staffs the first routing profile,
# which serves every round-the-clock queue.
NIGHT_SHIFT = (21, 7)
_DAY_SHIFTS = (((6, 14), 0.25), ((8, 17), 0.45), ((12, 21), 0.30))
_NIGHT_SHARE = 0.15

# A routing profile's second queue assignment happens this often, so some
# queues are served by two profiles, as in a real centre.
_OVERLAP_SHARE = 0.3


@dataclass(frozen=True)
class QueueInfo:
    id: str
    arn: str
    name: str | None  # agent queues have no name in ListQueues
    queue_type: str  # "STANDARD" or "AGENT"
    channels: tuple[Channel, ...]
    always_open: bool
    weight: float  # how busy this queue is relative to the others
    last_modified: float  # epoch seconds


@dataclass(frozen=True)
class ProfileInfo:
    id: str
    arn: str
    name: str
    pairs: frozenset[tuple[str, Channel]]  # (queue ID, channel) this profile serves
    concurrency: tuple[tuple[Channel, int], ...]  # contacts at once, per channel
    last_modified: float


@dataclass(frozen=True)
class AgentInfo:
    id: str
    profile: ProfileInfo
    shift: tuple[int, int]
    arn: str = field(compare=False)
    person: Person = field(compare=False)  # names and hierarchy group


@dataclass(frozen=True)
class StatusInfo:
    id: str
    arn: str
    name: str
    type: str = "CUSTOM"  # ROUTABLE, CUSTOM or OFFLINE, as ListAgentStatuses says


@dataclass(frozen=True)
class Topology:
    seed: int
    instance_id: str
    instance_arn: str
    region: str
    queues: tuple[QueueInfo, ...]  # standard queues first, then one agent queue per agent
    profiles: tuple[ProfileInfo, ...]
    agents: tuple[AgentInfo, ...]
    available: StatusInfo
    custom_statuses: tuple[StatusInfo, ...]  # non-productive statuses
    offline: StatusInfo  # listed by ListAgentStatuses; nobody logged in is in it
    hierarchy_groups: tuple[HierarchyGroup, ...]  # sites (level one), then teams (level two)
    queue_by_id: dict[str, QueueInfo] = field(compare=False, repr=False)
    profile_by_id: dict[str, ProfileInfo] = field(compare=False, repr=False)
    agent_by_id: dict[str, AgentInfo] = field(compare=False, repr=False)
    group_by_id: dict[str, HierarchyGroup] = field(compare=False, repr=False)

    @property
    def statuses(self) -> tuple[StatusInfo, ...]:
        """The statuses a logged-in agent can be in."""
        return (self.available, *self.custom_statuses)


def account_id(seed: int) -> str:
    """The simulated AWS account: twelve digits from the seed."""
    return f"{rng.stable_int(seed, 'account') % 10**12:012d}"


def build_topology(
    *,
    seed: int,
    instance_id: str,
    region: str,
    queues: int,
    agents: int,
    routing_profiles: int,
    queue_names: Sequence[str] | None,
) -> Topology:
    instance_arn = f"arn:aws:connect:{region}:{account_id(seed)}:instance/{instance_id}"
    # A fixed "last modified" moment in 2024, different per object.
    epoch_2024 = 1_704_067_200.0

    def modified(*parts: object) -> float:
        return epoch_2024 + float(rng.stable_int(seed, "modified", *parts) % (300 * 86400))

    standard = [
        _queue(seed, index, name, instance_arn, modified(index))
        for index, name in enumerate(_names(queues, queue_names))
    ]
    profiles = _profiles(seed, routing_profiles, standard, instance_arn, modified)
    groups, people = build_people(seed, agents, instance_arn, modified)
    agent_list: list[AgentInfo] = []
    agent_queues: list[QueueInfo] = []
    for index in range(agents):
        agent_id = rng.stable_uuid(seed, "agent", index)
        night = rng.unit(seed, "night", index) < _NIGHT_SHARE
        profile = profiles[0] if night else profiles[index % len(profiles)]
        agent_list.append(
            AgentInfo(
                agent_id,
                profile,
                NIGHT_SHIFT if night else _day_shift(seed, index),
                arn=f"{instance_arn}/agent/{agent_id}",
                person=people[index],
            )
        )
        agent_queues.append(
            QueueInfo(
                id=agent_id,
                arn=f"{instance_arn}/queue/agent/{agent_id}",
                name=None,
                queue_type="AGENT",
                channels=(),
                always_open=False,
                weight=0.0,
                last_modified=modified("agent", index),
            )
        )
    all_queues = (*standard, *agent_queues)

    def status(name: str, type_: str = "CUSTOM") -> StatusInfo:
        status_id = rng.stable_uuid(seed, "status", name)
        return StatusInfo(status_id, f"{instance_arn}/agent-state/{status_id}", name, type_)

    return Topology(
        seed=seed,
        instance_id=instance_id,
        instance_arn=instance_arn,
        region=region,
        queues=all_queues,
        profiles=tuple(profiles),
        agents=tuple(agent_list),
        available=status("Available", "ROUTABLE"),
        custom_statuses=tuple(status(name) for name in _CUSTOM_STATUSES),
        offline=status("Offline", "OFFLINE"),
        hierarchy_groups=groups,
        queue_by_id={queue.id: queue for queue in all_queues},
        profile_by_id={profile.id: profile for profile in profiles},
        agent_by_id={agent.id: agent for agent in agent_list},
        group_by_id={group.id: group for group in groups},
    )


def _names(count: int, given: Sequence[str] | None) -> list[str]:
    if given is not None:
        return list(given)
    names = []
    for index in range(count):
        base, _, _ = _DEFAULT_QUEUES[index % len(_DEFAULT_QUEUES)]
        round_ = index // len(_DEFAULT_QUEUES)
        names.append(base if round_ == 0 else f"{base} {round_ + 1}")
    return names


def _queue(seed: int, index: int, name: str, instance_arn: str, modified: float) -> QueueInfo:
    # "Sales 2" is shaped like "Sales".
    known = _DEFAULT_SHAPES.get(re.sub(r" [0-9]+$", "", name))
    if known is not None:
        channels, always_open = known
    else:
        # A name of the caller's own: channels and hours drawn from the seed.
        draw = rng.stream(seed, "queue-shape", index)
        chosen = [
            c for c, share in zip(CHANNELS, (0.85, 0.5, 0.35), strict=True) if draw.random() < share
        ]
        channels = tuple(chosen) or (Channel.VOICE,)
        always_open = draw.random() < 0.25
    queue_id = rng.stable_uuid(seed, "queue", index)
    return QueueInfo(
        id=queue_id,
        arn=f"{instance_arn}/queue/{queue_id}",
        name=name,
        queue_type="STANDARD",
        channels=channels,
        always_open=always_open,
        weight=0.4 + 1.2 * rng.unit(seed, "queue-weight", index),
        last_modified=modified,
    )


def _profiles(
    seed: int,
    count: int,
    queues: list[QueueInfo],
    instance_arn: str,
    modified: Callable[..., float],
) -> list[ProfileInfo]:
    pairs: list[set[tuple[str, Channel]]] = [set() for _ in range(count)]
    for index, queue in enumerate(queues):
        homes = {index % count}
        if count > 1 and rng.unit(seed, "overlap", index) < _OVERLAP_SHARE:
            homes.add((index + 1) % count)
        if queue.always_open:
            homes.add(0)  # the night shift's profile
        for home in homes:
            pairs[home].update((queue.id, channel) for channel in queue.channels)
    profiles = []
    for index in range(count):
        profile_id = rng.stable_uuid(seed, "routing-profile", index)
        name = (
            _PROFILE_NAMES[index] if index < len(_PROFILE_NAMES) else f"Routing Profile {index + 1}"
        )
        draw = rng.stream(seed, "concurrency", index)
        concurrency = (
            (Channel.VOICE, 1),
            (Channel.CHAT, 2 + int(draw.random() * 2)),
            (Channel.TASK, 1 + int(draw.random() * 2)),
        )
        profiles.append(
            ProfileInfo(
                id=profile_id,
                arn=f"{instance_arn}/routing-profile/{profile_id}",
                name=name,
                pairs=frozenset(pairs[index]),
                concurrency=concurrency,
                last_modified=modified("routing-profile", index),
            )
        )
    return profiles


def _day_shift(seed: int, index: int) -> tuple[int, int]:
    draw = rng.unit(seed, "shift", index)
    for shift, share in _DAY_SHIFTS:
        if draw < share:
            return shift
        draw -= share
    return _DAY_SHIFTS[-1][0]
