"""Offline agents on an agent source that shows them: agents not logged in (absent from
GetCurrentUserData) whom the directory places in the source's filter are listed as
Offline; hidden otherwise, and never for a filter the directory cannot resolve."""

import time

import pytest

from connectmetrics.agents.models import Agent, AgentSource, Resource
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.poller.readings import readings_store
from connectmetrics.wire.socket_messages import AgentCard, AgentSnapshot, AgentUpdate, decode
from tests.agents_support import agent_centre, whole_floor

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(redis_mode: str) -> ConnectInstance:
    return agent_centre(agents=300)


def polled(source: AgentSource) -> list[AgentCard]:
    """A poll of the source, waiting for its turn of GetCurrentUserData's quota."""
    result = poll_source(source.source_key)
    if result.step is Step.DEFERRED:
        time.sleep(result.turn_in or 0)
        result = poll_source(
            source.source_key, resume_token=result.resume_token, turn_due_at=result.turn_due_at
        )
    assert result.step is Step.OK
    snapshot = decode(readings_store().latest_text(source.source_key))
    assert isinstance(snapshot, AgentSnapshot) and snapshot.status == "ok"
    return snapshot.agents


def not_logged_in(cards: list[AgentCard]) -> set[str]:
    """Offline cards with no status: agents GetCurrentUserData did not list."""
    return {c.key for c in cards if c.activity == "offline" and not c.status}


def test_the_whole_floor_lists_every_agent_not_logged_in_as_offline(
    centre: ConnectInstance,
) -> None:
    source = whole_floor(centre)
    online = polled(source)
    assert not_logged_in(online) == set()

    source.show_offline = True
    source.save()
    shown = polled(source)
    everyone = set(Agent.objects.filter(instance=centre).values_list("user_id", flat=True))
    logged_in = {c.key for c in shown if c.status}
    assert {c.key for c in shown} == everyone and len(shown) == 300
    assert not_logged_in(shown) == everyone - logged_in and len(logged_in) >= len(online)
    names = {a.user_id: a for a in Agent.objects.filter(instance=centre)}
    for card in shown:
        if card.key in not_logged_in(shown):
            # Named, placed in a team and a routing profile, with no time Connect gives.
            assert card.name == names[card.key].full_name and card.team and card.routing_profile
            assert (card.channel, card.on_hold, card.active) == (None, False, 0)


def test_offline_cards_do_not_change_from_poll_to_poll(centre: ConnectInstance) -> None:
    source = whole_floor(centre)
    source.show_offline = True
    source.save()
    published: list[str] = []
    first = {c.key: c for c in polled(source)}
    time.sleep(1.2)
    assert poll_source(source.source_key, publish=lambda _, t: published.append(t)).step is Step.OK
    message = decode(published[-1])
    assert isinstance(message, AgentUpdate)
    gone_offline = {c.key for c in message.agents if c.activity == "offline"}
    # Only agents who have just logged out come again; those offline before do not.
    assert not gone_offline & not_logged_in(list(first.values()))


def test_chosen_agents_and_a_hierarchy_groups_own_agents(centre: ConnectInstance) -> None:
    agents = list(Agent.objects.filter(instance=centre).order_by("user_id"))
    chosen = AgentSource.objects.create(
        name="Chosen",
        instance=centre,
        resource=Resource.AGENTS,
        agent_ids=[a.user_id for a in agents[:40]],
        show_offline=True,
    )
    assert {c.key for c in polled(chosen)} == {a.user_id for a in agents[:40]}

    team = agents[0].hierarchy_group_id
    group = AgentSource.objects.create(
        name="Team",
        instance=centre,
        resource=Resource.HIERARCHY_GROUP,
        hierarchy_group_id=team,
        show_offline=True,
    )
    members = {a.user_id for a in agents if a.hierarchy_group_id == team}
    assert {c.key for c in polled(group)} == members


def test_queues_and_contact_states_list_only_agents_logged_in(centre: ConnectInstance) -> None:
    # Which routing profiles serve a queue is not read: its offline agents are not knowable.
    by_queue = AgentSource.objects.create(
        name="Queues", instance=centre, resource=Resource.QUEUES, show_offline=True
    )
    by_queue.queues.set(centre.queues.all())
    assert not_logged_in(polled(by_queue)) == set()
    with_states = whole_floor(centre, name="On calls")
    with_states.show_offline = True
    with_states.contact_states = ["CONNECTED"]
    with_states.save()
    assert not_logged_in(polled(with_states)) == set()
