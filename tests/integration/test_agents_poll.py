"""An agent source polled against the simulated centre through boto3: every page of
every batch of 100, within GetCurrentUserData's own quota, names from the directory
(read on its own schedule, never per poll), one card per logged-in agent with the
console's activity, and compact updates that rebuild the fresh snapshot."""

import json
import time

import pytest
from pytest_django.fixtures import Settings

from connectmetrics.agents import cards, directory, rules
from connectmetrics.agents.fetch import fetch_user_data
from connectmetrics.agents.models import Agent, AgentSource, Directory, Resource
from connectmetrics.client.governor import governed_burst
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA, QUOTAS, SEARCH_USERS
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.backoff import backoff_state
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.poller.readings import readings_store
from connectmetrics.poller.schedule import claim_due_polls, slot_claims
from connectmetrics.simulator import call_counts, set_faults
from connectmetrics.sources.registry import CHORES, run_chore
from connectmetrics.wire.socket_messages import AgentSnapshot, AgentUpdate, decode
from tests.agents_support import agent_centre, at_the_busy_hour, whole_floor

pytest_plugins = ["tests.polling_support"]

pytestmark = pytest.mark.django_db


def _calls(redis_url: str, api: str) -> int:
    """Calls of one API the simulated centre received (every attempt)."""
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get(api, 0)


@pytest.fixture
def centre(redis_mode: str, settings: Settings) -> ConnectInstance:
    at_the_busy_hour(settings)
    return agent_centre(agents=300)


def test_every_page_of_every_batch_is_fetched_each_agent_once(
    centre: ConnectInstance, redis_mode: str
) -> None:
    chosen = list(Agent.objects.filter(instance=centre).values_list("user_id", flat=True))
    assert len(chosen) == 300
    request = rules.build_request(rules.AGENTS, chosen[:250], [])
    assert [len(b["Filters"]["Agents"]) for b in rules.batches(request)] == [100, 100, 50]
    before = _calls(redis_mode, GET_CURRENT_USER_DATA)

    fetched = fetch_user_data(centre, request)

    # Logged-in agents only, each once; at least one request per batch.
    ids = [row["User"]["Id"] for row in fetched.rows]
    assert len(ids) == len(set(ids)) and set(ids) <= set(chosen[:250])
    assert fetched.calls >= 3
    assert _calls(redis_mode, GET_CURRENT_USER_DATA) - before == fetched.calls
    # Paged: the whole floor (3 routing profiles, one batch) is more than one page of 100.
    whole = fetch_user_data(centre, whole_floor(centre).to_request())
    assert len(whole.rows) > 100 and whole.calls == -(-len(whole.rows) // 100)


def test_a_poll_shows_one_card_per_logged_in_agent_with_names_and_no_name_calls(
    centre: ConnectInstance, redis_mode: str
) -> None:
    source = whole_floor(centre)
    searches = _calls(redis_mode, SEARCH_USERS)

    assert poll_source(source.source_key).step is Step.OK

    snapshot = decode(readings_store().latest_text(source.source_key))
    assert isinstance(snapshot, AgentSnapshot)
    assert snapshot.source == f"agent_source:{source.pk}" and snapshot.status == "ok"
    named = {a.user_id: a.full_name for a in Agent.objects.filter(instance=centre)}
    assert snapshot.agents and all(card.name == named[card.key] for card in snapshot.agents)
    assert {card.activity for card in snapshot.agents} <= {
        "error",
        "missed",
        "rejected",
        "on_contact",
        "after_contact_work",
        "incoming",
        "custom",
        "available",
    }
    on_contact = [card for card in snapshot.agents if card.activity == "on_contact"]
    assert on_contact and all(card.channel and card.queue for card in on_contact)
    assert all(0 < card.active <= card.capacity for card in on_contact)
    assert all(card.team and card.routing_profile for card in snapshot.agents)
    # Names are never read per poll.
    assert _calls(redis_mode, SEARCH_USERS) == searches
    source.refresh_from_db()
    assert source.last_success_at is not None and source.last_error_message == ""


def test_updates_carry_only_the_agents_that_changed_and_rebuild_the_snapshot(
    centre: ConnectInstance, redis_mode: str
) -> None:
    source = whole_floor(centre)
    published: list[str] = []
    assert poll_source(source.source_key, publish=lambda _, t: published.append(t)).step is Step.OK
    first = readings_store().latest_text(source.source_key)
    time.sleep(1.2)
    assert poll_source(source.source_key, publish=lambda _, t: published.append(t)).step is Step.OK

    base = decode(first)
    message = decode(published[-1])
    fresh = decode(readings_store().latest_text(source.source_key))
    assert isinstance(base, AgentSnapshot) and isinstance(fresh, AgentSnapshot)
    assert isinstance(message, AgentUpdate) and message.base == base.seq
    assert len(message.agents) < len(fresh.agents) / 2
    assert len(published[-1]) < len(first) / 4
    rebuilt = cards.apply_update(base, message)
    assert rebuilt.agents == fresh.agents and rebuilt.seq == fresh.seq


def test_polls_stay_within_get_current_user_datas_own_quota(
    centre: ConnectInstance, redis_mode: str, settings: Settings
) -> None:
    source = whole_floor(centre)
    quota = QUOTAS[GET_CURRENT_USER_DATA]
    before = _calls(redis_mode, GET_CURRENT_USER_DATA)
    started = time.monotonic()
    steps = [poll_source(source.source_key).step for _ in range(4)]
    elapsed = time.monotonic() - started
    sent = _calls(redis_mode, GET_CURRENT_USER_DATA) - before
    # Three pages a poll: a full bucket, then 2 a second at most.
    assert Step.OK in steps and sent >= 3
    assert sent <= governed_burst(GET_CURRENT_USER_DATA) + quota.rate * elapsed + 1


def test_the_request_rules_refuse_before_any_call(centre: ConnectInstance, redis_mode: str) -> None:
    source = AgentSource.objects.create(
        name="Nobody", instance=centre, resource=Resource.HIERARCHY_GROUP
    )
    before = _calls(redis_mode, GET_CURRENT_USER_DATA)
    assert poll_source(source.source_key).step is Step.FAILED
    assert _calls(redis_mode, GET_CURRENT_USER_DATA) == before
    source.refresh_from_db()
    assert "Filters.UserHierarchyGroups" in source.last_error_message


def test_agent_sources_are_scheduled_with_queue_filters(centre: ConnectInstance) -> None:
    source = whole_floor(centre)
    due = claim_due_polls(slot_claims())
    assert source.source_key in {poll.source for poll in due}


def test_names_are_refreshed_on_their_own_schedule(
    centre: ConnectInstance, redis_mode: str, settings: Settings
) -> None:
    whole_floor(centre)
    (path, seconds) = CHORES[0]
    assert path.endswith("directory.refresh_due") and seconds >= 60
    searches = _calls(redis_mode, SEARCH_USERS)
    run_chore(path)  # just read: not due
    assert _calls(redis_mode, SEARCH_USERS) == searches
    Directory.objects.filter(instance=centre).update(refreshed_at=None)
    assert directory.refresh_due() == 1
    assert _calls(redis_mode, SEARCH_USERS) > searches
    assert directory.due() == []


def test_the_celery_beat_runs_the_names_chore() -> None:
    from dashboard.celery import app

    entries = [
        e for e in app.conf.beat_schedule.values() if e["task"] == "connectmetrics.run_chore"
    ]
    assert [e["args"] for e in entries] == [(path,) for path, _ in CHORES]
    assert json.dumps(entries)  # plain data


def test_a_throttling_storm_rests_the_source_and_shows_its_last_cards_stale(
    centre: ConnectInstance, redis_mode: str
) -> None:
    source = whole_floor(centre)
    assert poll_source(source.source_key).step is Step.OK
    good = decode(readings_store().latest_text(source.source_key))
    assert isinstance(good, AgentSnapshot)
    set_faults(redis_mode, SIMULATED_INSTANCE_ID, throttle=True)
    before = _calls(redis_mode, GET_CURRENT_USER_DATA)
    started = time.monotonic()

    assert poll_source(source.source_key).step is Step.FAILED
    # Rested after the storm: the next polls send nothing until the rest is over.
    assert poll_source(source.source_key).step is Step.RESTING
    sent = _calls(redis_mode, GET_CURRENT_USER_DATA) - before
    elapsed = time.monotonic() - started
    # botocore's own retries are paced by the same bucket: never over the quota.
    quota = QUOTAS[GET_CURRENT_USER_DATA]
    assert 1 <= sent <= governed_burst(GET_CURRENT_USER_DATA) + quota.rate * elapsed + 1
    stale = decode(readings_store().latest_text(source.source_key))
    assert isinstance(stale, AgentSnapshot) and stale.status == "stale"
    assert stale.agents == good.agents and "throttl" in stale.reason.lower()
    assert backoff_state().get(source.source_key) is not None
