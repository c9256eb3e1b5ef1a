"""An agent source's real messages for the benchmarks (docs/messages.md): a floor of the
simulated centre polled through boto3 (every page and batch, as the poller fetches), the
names from its SearchUsers, ListUserHierarchyGroups, ListRoutingProfiles, ListQueues and
ListAgentStatuses, and the cards, `agent_snapshot` and compact `agent_update` exactly as
connectmetrics/agents builds them, each poll `seconds_apart` of centre time after the one
before. With `show_offline` every agent of the centre is a card (those not logged in
Offline), so a centre of 1,000 agents is a board of 1,000 agents.

`floor_messages` needs Django set up (the cards read the directory's model for the
offline agents, unsaved); `floor_messages_in_child` runs it in a fresh process.
"""

import multiprocessing
import multiprocessing.connection
import os
from datetime import UTC, datetime
from typing import Any, NamedTuple

THRESHOLDS = (
    ("after_contact_work", 120, 300),
    ("on_hold", 180, 300),
    ("custom", 900, 1800),
)


class FloorMessages(NamedTuple):
    """The snapshot of the first poll, the update of every poll after it, and the
    agents online (logged in) at each poll."""

    snapshot: str
    updates: list[str]
    online: list[int]
    cards: int


def _all(client: Any, operation: str, key: str, instance_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(InstanceId=instance_id):
        found += page[key]
    return found


def floor_messages(
    *,
    agents: int,
    updates: int,
    start: datetime,
    seconds_apart: float = 5.0,
    source: str = "agent_source:1",
    show_offline: bool = True,
) -> FloorMessages:
    from connectmetrics.agents import cards, rules
    from connectmetrics.agents.models import Agent
    from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID as INSTANCE
    from connectmetrics.simulator import simulated_client
    from connectmetrics.wire.socket_messages import encode

    now = [start.timestamp()]
    client = simulated_client(seed=7, agents=agents, clock=lambda: now[0])
    users: list[dict[str, Any]] = []
    params: dict[str, Any] = {"InstanceId": INSTANCE, "MaxResults": 500}
    while True:
        found: dict[str, Any] = dict(client.search_users(**params))
        users += found["Users"]
        if not found.get("NextToken"):
            break
        params["NextToken"] = found["NextToken"]
    profiles = _all(client, "list_routing_profiles", "RoutingProfileSummaryList", INSTANCE)
    names = cards.Names(
        agents={
            u["Id"]: f"{u['IdentityInfo']['FirstName']} {u['IdentityInfo']['LastName']}"
            for u in users
        },
        teams={
            g["Id"]: g["Name"]
            for g in _all(
                client, "list_user_hierarchy_groups", "UserHierarchyGroupSummaryList", INSTANCE
            )
        },
        routing_profiles={p["Id"]: p["Name"] for p in profiles},
        queues={
            q["Id"]: q.get("Name", "")
            for q in _all(client, "list_queues", "QueueSummaryList", INSTANCE)
        },
        status_types={
            s["Arn"]: s["Type"]
            for s in _all(client, "list_agent_statuses", "AgentStatusSummaryList", INSTANCE)
        },
    )
    members = [
        Agent(
            user_id=u["Id"],
            routing_profile_id=u.get("RoutingProfileId", ""),
            hierarchy_group_id=u.get("HierarchyGroupId", ""),
        )
        for u in users
    ]
    request = rules.build_request(rules.ROUTING_PROFILES, [p["Id"] for p in profiles], [])
    thresholds = [cards.ActivityThreshold(*rule) for rule in THRESHOLDS]
    previous: dict[str, cards.AgentCard] = {}
    base = None
    texts: list[str] = []
    online: list[int] = []
    snapshot_text = ""
    for seq in range(1, updates + 2):
        moment = datetime.fromtimestamp(now[0], UTC)
        rows: dict[str, dict[str, Any]] = {}
        for batch in rules.batches(request):
            call = {**batch, "InstanceId": INSTANCE}
            while True:
                answer: dict[str, Any] = dict(client.get_current_user_data(**call))
                for row in answer["UserDataList"]:
                    rows.setdefault(row["User"]["Id"], dict(row))
                if not answer.get("NextToken"):
                    break
                call["NextToken"] = answer["NextToken"]
        agent_cards = cards.build_cards(
            list(rows.values()),
            names,
            previous,
            moment,
            show_offline=show_offline,
            members=members if show_offline else (),
        )
        body = cards.ok_body(
            agent_cards, fetched_at=moment, poll_interval=int(seconds_apart), thresholds=thresholds
        )
        if base is None:
            base = cards.snapshot(source, seq=seq, body=body, published_at=moment, build="bench")
            snapshot_text = encode(base)
        else:
            update = cards.update(base, seq=seq, body=body, published_at=moment, build="bench")
            texts.append(encode(update))
            base = cards.apply_update(base, update)
        online.append(len(rows))
        previous = {card.key: card for card in agent_cards}
        now[0] += seconds_apart
    return FloorMessages(snapshot_text, texts, online, len(base.agents) if base else 0)


def _child(kwargs: dict[str, Any], pipe: multiprocessing.connection.Connection) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DEBUG", "1")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    pipe.send(floor_messages(**kwargs))


def floor_messages_in_child(**kwargs: Any) -> FloorMessages:
    """`floor_messages` in a fresh process (for a parent that has not set up Django)."""
    spawn = multiprocessing.get_context("spawn")
    parent_end, child_end = spawn.Pipe()
    process = spawn.Process(target=_child, args=(kwargs, child_end))
    process.start()
    if not parent_end.poll(900):
        process.kill()
        raise RuntimeError("the agent floor's polls did not finish (see the error above)")
    found: FloorMessages = parent_end.recv()
    process.join()
    return found
