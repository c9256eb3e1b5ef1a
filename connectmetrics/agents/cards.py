"""An agent source's cards, its `agent_snapshot` and its compact `agent_update`.

One card per agent (connectmetrics/wire/socket_messages.py `AgentCard`): name, the
console's activity (activity.py) and when it started, the contact's channel and
queue, hold, concurrency. An update carries only the cards that changed (and the
keys of agents gone), so a floor of 1,000 agents costs a few cards a poll.

Time in an activity is what the page ticks: the activity's start, taken from
the API's timestamps wherever they tell it, so a poller that has just started
shows the true time in state (activity_start):

- a contact-derived activity (error, missed, rejected, on contact, after contact
  work, incoming): its contact's StateStartTimestamp, or ConnectedToAgentTimestamp
  for a connected or held one (activity.py);
- a status-derived one (available, a custom status, offline):
  Status.StatusStartTimestamp, when the agent set the status. The one start the
  API does not give: the status stays "Available" through contacts, so an agent
  available again after a contact the poller saw has been so since the poll
  that first saw it (the contact ended between two polls); a poller that saw no
  contact can only show the status's own start;
- on hold: a held contact keeps the StateStartTimestamp of its connection, so
  the hold started when a poll first saw it on hold (for a fresh poller: its
  first poll).

Only the previous poll's cards are carried (previous_cards): after a gap
(a rest after throttling, a restart) the agents may have done anything, and the
API's timestamps start afresh.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from connectmetrics.agents.activity import CONTACT_ACTIVITIES, Activity, activity_of
from connectmetrics.agents.models import Agent, AgentSource, AgentStatus, HierarchyGroup
from connectmetrics.models import ConnectInstance, Queue, RoutingProfile
from connectmetrics.sources import keyed
from connectmetrics.sources.stale import marked_stale
from connectmetrics.wire import source_messages
from connectmetrics.wire.message_builder import WAITING_REASON, iso, published
from connectmetrics.wire.socket_messages import (
    ActivityThreshold,
    AgentCard,
    AgentSnapshot,
    AgentUpdate,
)
from connectmetrics.wire.source_messages import SourceBody


class AgentsBody(SourceBody):
    """What a poll decides: the cards (by key), their status and thresholds."""

    thresholds: list[ActivityThreshold]
    agents: list[AgentCard]


@dataclass(frozen=True)
class Names:
    """The directory's names (directory.py) and the instance's queues and profiles."""

    agents: dict[str, str]
    teams: dict[str, str]
    routing_profiles: dict[str, str]
    queues: dict[str, str]
    status_types: dict[str, str]  # status ARN -> ROUTABLE, CUSTOM or OFFLINE


def names_of(instance: ConnectInstance) -> Names:
    return Names(
        agents={a.user_id: a.full_name for a in Agent.objects.filter(instance=instance)},
        teams=dict(
            HierarchyGroup.objects.filter(instance=instance).values_list("group_id", "name")
        ),
        routing_profiles=dict(
            RoutingProfile.objects.filter(instance=instance).values_list(
                "routing_profile_id", "name"
            )
        ),
        queues=dict(Queue.objects.filter(instance=instance).values_list("queue_id", "name")),
        status_types=dict(
            AgentStatus.objects.filter(instance=instance).values_list("arn", "status_type")
        ),
    )


def thresholds_of(source: AgentSource) -> list[ActivityThreshold]:
    return [
        ActivityThreshold(
            "after_contact_work",
            source.after_contact_work_warning,
            source.after_contact_work_critical,
        ),
        ActivityThreshold("on_hold", source.on_hold_warning, source.on_hold_critical),
        ActivityThreshold("custom", source.custom_status_warning, source.custom_status_critical),
    ]


# The previous poll's cards are carried only when it is at most this many intervals old.
CARRY_INTERVALS = 3


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _team(user_data: Mapping[str, Any], names: Names) -> str:
    path = user_data.get("HierarchyPath") or {}
    for level in ("LevelFive", "LevelFour", "LevelThree", "LevelTwo", "LevelOne"):
        group = path.get(level)
        if group:
            return names.teams.get(str(group.get("Id", "")), "")
    return ""


def previous_cards(
    last_good: AgentsBody | None, fetched_at: datetime, poll_interval: int
) -> dict[str, AgentCard]:
    """The cards the starts carry on from (by key): those of the poll just before,
    none when the last good poll is older than a few intervals (a gap, a restart)."""
    if last_good is None or last_good.fetched_at is None:
        return {}
    age = fetched_at - datetime.fromisoformat(last_good.fetched_at)
    if age > timedelta(seconds=CARRY_INTERVALS * poll_interval):
        return {}
    return {card.key: card for card in last_good.agents}


def activity_start(activity: Activity, previous: AgentCard | None, now: int) -> int:
    """When the activity began (epoch ms); `previous` is the agent's card of the poll
    before, `now` this poll's time (see the module's docstring)."""
    start = _ms(activity.since) if activity.since is not None else None
    if activity.contact is not None or previous is None:
        return start if start is not None else now
    if start is not None and start > previous.since:
        # The agent set this status after their previous activity began.
        return start
    if previous.activity in CONTACT_ACTIVITIES:
        # Back to an older status after a contact that ended since the last poll.
        return now
    return previous.since


def hold_start(activity: Activity, since: int, previous: AgentCard | None, now: int) -> int | None:
    """When the contact went on hold, as first seen (epoch ms); None when not on hold."""
    if not activity.on_hold:
        return None
    same_contact = (
        previous is not None and previous.activity == activity.name and previous.since == since
    )
    if same_contact and previous is not None and previous.hold_since is not None:
        return previous.hold_since
    return now


def card_of(
    user_data: Mapping[str, Any],
    names: Names,
    previous: AgentCard | None,
    fetched_at: datetime,
) -> AgentCard:
    """One agent's card; `previous` is their card of the poll before, if any."""
    user_id = str(user_data["User"]["Id"])
    status = user_data.get("Status") or {}
    status_type = names.status_types.get(str(status.get("StatusArn", "")))
    activity = activity_of(user_data, status_type)
    now = _ms(fetched_at.timestamp())
    since = activity_start(activity, previous, now)
    hold_since = hold_start(activity, since, previous, now)
    channel = queue = None
    active = capacity = 0
    if activity.contact is not None:
        channel = str(activity.contact.get("Channel", "")) or None
        queue_id = str((activity.contact.get("Queue") or {}).get("Id", ""))
        queue = names.queues.get(queue_id) or None
        if channel is not None:
            active = int((user_data.get("ActiveSlotsByChannel") or {}).get(channel, 0))
            capacity = int((user_data.get("MaxSlotsByChannel") or {}).get(channel, 0))
    profile_id = str((user_data.get("RoutingProfile") or {}).get("Id", ""))
    next_status = user_data.get("NextStatus")
    return AgentCard(
        key=user_id,
        name=names.agents.get(user_id) or f"Agent {user_id[:8]}",
        activity=activity.name,  # type: ignore[arg-type]  # one of the Activity literals
        since=since,
        status=str(status.get("StatusName", "")),
        team=_team(user_data, names),
        routing_profile=names.routing_profiles.get(profile_id, ""),
        channel=channel,
        queue=queue,
        on_hold=activity.on_hold,
        hold_since=hold_since,
        active=active,
        capacity=capacity,
        next_status=str(next_status) if next_status else None,
    )


def offline_card(
    member: Agent, names: Names, previous: AgentCard | None, fetched_at: datetime
) -> AgentCard:
    """The card of an agent of the source who is not logged in. Connect gives no time
    for it (not when they logged out): the page shows none; `since` is when the
    poller first saw them offline, so the card does not change from poll to poll."""
    carried = previous is not None and previous.activity == "offline"
    return AgentCard(
        key=member.user_id,
        name=names.agents.get(member.user_id) or f"Agent {member.user_id[:8]}",
        activity="offline",
        since=previous.since if carried and previous else _ms(fetched_at.timestamp()),
        status="",
        team=names.teams.get(member.hierarchy_group_id, ""),
        routing_profile=names.routing_profiles.get(member.routing_profile_id, ""),
    )


def build_cards(
    rows: Sequence[Mapping[str, Any]],
    names: Names,
    previous: Mapping[str, AgentCard],
    fetched_at: datetime,
    *,
    show_offline: bool,
    members: Iterable[Agent] = (),
) -> list[AgentCard]:
    """Every agent's card, by key. Offline agents only when the source shows them: those
    logged in with an Offline status, and the source's `members` (its agents in the
    directory, AgentSource.directory_members) who are not logged in."""
    cards = {}
    for row in rows:
        card = card_of(row, names, previous.get(str(row["User"]["Id"])), fetched_at)
        if card.activity != "offline" or show_offline:
            cards[card.key] = card
    if show_offline:
        logged_in = {str(row["User"]["Id"]) for row in rows}
        for member in members:
            if member.user_id not in logged_in:
                cards[member.user_id] = offline_card(
                    member, names, previous.get(member.user_id), fetched_at
                )
    return sorted(cards.values(), key=lambda card: card.key)


def ok_body(
    cards: list[AgentCard],
    *,
    fetched_at: datetime,
    poll_interval: int,
    thresholds: list[ActivityThreshold],
) -> AgentsBody:
    return AgentsBody("ok", "", iso(fetched_at), poll_interval, thresholds, cards)


def failed_body(
    last_good: AgentsBody | None,
    *,
    reason: str,
    poll_interval: int,
    thresholds: list[ActivityThreshold],
) -> AgentsBody:
    """After a failed poll: the last good cards marked stale, or an error with none."""
    if last_good is not None:
        return marked_stale(last_good, reason=reason, poll_interval=poll_interval)
    return AgentsBody("error", reason, None, poll_interval, thresholds, [])


def snapshot(
    source: str, *, seq: int, body: AgentsBody, published_at: datetime, build: str
) -> AgentSnapshot:
    return published(
        AgentSnapshot, body, seq=seq, published_at=published_at, build=build, source=source
    )


def waiting_snapshot(source: str, *, published_at: datetime, build: str) -> AgentSnapshot:
    """The snapshot a socket gets before the source's first poll."""
    body = AgentsBody("stale", WAITING_REASON, None, None, [], [])
    return snapshot(source, seq=0, body=body, published_at=published_at, build=build)


def update(
    base: AgentSnapshot, *, seq: int, body: AgentsBody, published_at: datetime, build: str
) -> AgentUpdate:
    """What changed since `base`: the changed and new cards whole, the keys gone, and
    the thresholds when they changed."""
    changed, gone = keyed.changes(base.agents, body.agents)
    return published(
        AgentUpdate,
        body,
        seq=seq,
        published_at=published_at,
        build=build,
        source=base.source,
        base=base.seq,
        agents=changed,
        gone=gone,
        thresholds=body.thresholds if body.thresholds != base.thresholds else msgspec.UNSET,
    )


def apply_update(base: AgentSnapshot, message: AgentUpdate) -> AgentSnapshot:
    """The reconnect rule on the server's side: `base` with `message` applied (what
    the page's state.js does), for tests and benches to compare with a fresh snapshot."""
    cards = keyed.applied(base.agents, message.agents, message.gone)
    return source_messages.applied(
        base,
        message,
        thresholds=(
            base.thresholds
            if isinstance(message.thresholds, msgspec.UnsetType)
            else message.thresholds
        ),
        agents=sorted(cards, key=lambda card: card.key),
    )
