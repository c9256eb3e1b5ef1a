"""The answer cache: fresh answers cost no call, one call serves many, the poller feeds it."""

import time
from typing import Any

import pytest
import redis
from django.test import Client
from django.utils import timezone

from connectmetrics.api import cache, store
from connectmetrics.api.auth import issue_token
from connectmetrics.client import governor as governor_module
from connectmetrics.client.client import fetch_current_metrics
from connectmetrics.client.quotas import GET_CURRENT_METRIC_DATA
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ApiToken, ConnectInstance
from connectmetrics.simulator import set_faults
from tests.api_support import (
    error_of,
    feed_poll,
    post,
    queue_body,
    rows_of,
    run_together,
    simulated_centre,
    upstream_calls,
)
from tests.conftest import free_port

pytest_plugins = ["tests.api_fixtures"]

CONCURRENT_CALLERS = 20


@pytest.fixture
def centre(api_redis: str, db: None) -> ConnectInstance:
    return simulated_centre()


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Workforce tool", [centre])[1]


@pytest.fixture
def queue_ids(centre: ConnectInstance) -> list[str]:
    return sorted(centre.queues.values_list("queue_id", flat=True))


def zeros(queue_ids: list[str], *names: str) -> dict[str, dict[str, float | None]]:
    return {q: {name: 1.0 for name in names} for q in queue_ids}


def test_a_fresh_snapshot_answers_with_no_upstream_call(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    body = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE")
    feed_poll(centre, body, zeros(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE"), age=4.0)
    for _ in range(3):
        response = post(client, centre.instance_id, body, token=token)
        assert {v["AGENTS_ONLINE"] for _, v in rows_of(response)} == {1.0}
    assert upstream_calls(api_redis) == 0


def test_a_snapshot_as_old_as_the_poll_interval_is_fetched_again_once(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    body = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE")
    feed_poll(centre, body, zeros(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE"), age=5.0)
    first = rows_of(post(client, centre.instance_id, body, token=token))
    assert upstream_calls(api_redis) == 1
    assert {v["AGENTS_ONLINE"] for _, v in first} != {1.0}  # the simulator's numbers
    assert rows_of(post(client, centre.instance_id, body, token=token)) == first
    assert upstream_calls(api_redis) == 1


def test_an_older_poll_never_replaces_a_newer_snapshot(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    body = queue_body(queue_ids, "AGENTS_ONLINE")
    feed_poll(centre, body, {q: {"AGENTS_ONLINE": 2.0} for q in queue_ids}, age=1.0)
    feed_poll(centre, body, {q: {"AGENTS_ONLINE": 1.0} for q in queue_ids}, age=3.0)
    assert {
        v["AGENTS_ONLINE"] for _, v in rows_of(post(client, centre.instance_id, body, token=token))
    } == {2.0}


def test_a_different_request_is_not_answered_from_a_snapshot_it_cannot_be_derived_from(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    feed_poll(centre, queue_body(queue_ids, "AGENTS_ONLINE"), zeros(queue_ids, "AGENTS_ONLINE"))
    per_channel = queue_body(queue_ids, "AGENTS_ONLINE", Groupings=["QUEUE", "CHANNEL"])
    other_channels = {**queue_body(queue_ids, "AGENTS_ONLINE"), "Filters": {"Queues": queue_ids}}
    more_metrics = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE")
    for body in (per_channel, other_channels, more_metrics):
        assert post(client, centre.instance_id, body, token=token).status_code == 200
    assert upstream_calls(api_redis) == 3


def test_a_derived_answer_costs_no_call_and_picks_the_newest_snapshot(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    names = ("AGENTS_ONLINE", "CONTACTS_IN_QUEUE")
    feed_poll(
        centre,
        queue_body(queue_ids, *names),
        {q: {n: 1.0 for n in names} for q in queue_ids},
        age=3,
    )
    feed_poll(
        centre,
        queue_body(queue_ids[:10], *names),
        {q: {n: 2.0 for n in names} for q in queue_ids[:10]},
        age=1,
    )
    asked = queue_body(queue_ids[:3], "CONTACTS_IN_QUEUE")
    rows = rows_of(post(client, centre.instance_id, asked, token=token))
    assert sorted(q for q, _ in rows) == queue_ids[:3]
    assert {v["CONTACTS_IN_QUEUE"] for _, v in rows} == {2.0}
    assert upstream_calls(api_redis) == 0


def token_in_use(instance: ConnectInstance) -> str:
    """A token already marked as used this minute: the concurrent callers then only read
    the database (the tests' shared in-memory SQLite refuses concurrent writers)."""
    token, raw = issue_token("BI job", [instance])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return raw


@pytest.fixture
def shared_centre(api_redis: str, transactional_db: None) -> ConnectInstance:
    """The centre committed, so that threads (their own connections) see it."""
    return simulated_centre()


def test_concurrent_identical_requests_on_a_cold_cache_make_one_upstream_call(
    shared_centre: ConnectInstance, api_redis: str
) -> None:
    token = token_in_use(shared_centre)
    queue_ids = sorted(shared_centre.queues.values_list("queue_id", flat=True))
    # Slow enough upstream that every caller arrives while the first call is out.
    set_faults(api_redis, SIMULATED_INSTANCE_ID, latency=0.5)
    body = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE")
    responses = run_together(
        CONCURRENT_CALLERS, lambda: post(Client(), shared_centre.instance_id, body, token=token)
    )
    assert [r.status_code for r in responses] == [200] * CONCURRENT_CALLERS
    assert upstream_calls(api_redis) == 1
    assert len({r.content for r in responses}) == 1


def test_concurrent_callers_share_a_failure_too(
    shared_centre: ConnectInstance, api_redis: str
) -> None:
    token = token_in_use(shared_centre)
    queue_ids = sorted(shared_centre.queues.values_list("queue_id", flat=True))
    set_faults(api_redis, SIMULATED_INSTANCE_ID, latency=0.3, access_denied=True)
    body = queue_body(queue_ids, "AGENTS_ONLINE")
    responses = run_together(
        CONCURRENT_CALLERS, lambda: post(Client(), shared_centre.instance_id, body, token=token)
    )
    assert {error_of(r)[:2] for r in responses} == {(502, "UPSTREAM_ERROR")}
    assert upstream_calls(api_redis) == 1


@pytest.fixture
def embedded_centre(api_embedded: str, transactional_db: None) -> ConnectInstance:
    return simulated_centre()


def test_embedded_mode_shares_one_call_between_threads_too(
    embedded_centre: ConnectInstance, api_embedded: str
) -> None:
    token = token_in_use(embedded_centre)
    queue_ids = sorted(embedded_centre.queues.values_list("queue_id", flat=True))
    set_faults(api_embedded, SIMULATED_INSTANCE_ID, latency=0.5)
    body = queue_body(queue_ids, "AGENTS_ONLINE")
    responses = run_together(
        CONCURRENT_CALLERS, lambda: post(Client(), embedded_centre.instance_id, body, token=token)
    )
    assert [r.status_code for r in responses] == [200] * CONCURRENT_CALLERS
    assert upstream_calls(api_embedded) == 1


def test_a_near_turn_of_the_quota_is_waited_for_not_refused(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    quota = governor_module.governor()
    for _ in range(8):
        quota.reserve(centre.quota_key, GET_CURRENT_METRIC_DATA)  # the pollers spent the burst
    started = time.monotonic()
    assert post(client, centre.instance_id, queue_body(queue_ids), token=token).status_code == 200
    assert time.monotonic() - started >= 0.15  # its turn came 0.2 s later (5 per second)
    assert upstream_calls(api_redis) == 1


def test_over_quota_the_caller_is_throttled_and_connect_never_sees_the_call(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
    api_redis: str,
    settings: Any,
) -> None:
    settings.CONNECT_RATE_PER_SECOND = 50  # the same rules, in a test's time
    quota = governor_module.governor()
    for _ in range(8 + 60):
        quota.reserve(centre.quota_key, GET_CURRENT_METRIC_DATA)  # the line is 1.2 s long
    response = post(client, centre.instance_id, queue_body(queue_ids), token=token)
    status, code, message = error_of(response)
    assert (status, code) == (429, "THROTTLED") and "quota" in message
    assert int(response["Retry-After"]) == 2
    assert upstream_calls(api_redis) == 0
    # Refused callers do not queue up in the quota's line behind the refusal.
    before = quota.reserve(centre.quota_key, GET_CURRENT_METRIC_DATA)
    other = queue_body(queue_ids, "CONTACTS_IN_QUEUE")
    assert error_of(post(client, centre.instance_id, other, token=token))[:2] == (429, "THROTTLED")
    after = quota.reserve(centre.quota_key, GET_CURRENT_METRIC_DATA)
    assert after - before < 0.03  # one turn (0.02 s) apart: the refusal took none
    time.sleep(after + 0.05)
    assert post(client, centre.instance_id, other, token=token).status_code == 200
    assert upstream_calls(api_redis) == 1


def test_a_leader_that_died_mid_fetch_holds_the_others_only_until_its_lock_expires(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
    api_redis: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache, "FLIGHT_TTL", 0.5)
    body = queue_body(queue_ids, "AGENTS_ONLINE")
    flight = f"{centre.pk}:{rules.request_key(rules.canonical_request(body))}"
    assert store.answer_store().take_flight(flight, 0.5) is not None  # and never lands
    started = time.monotonic()
    assert post(client, centre.instance_id, body, token=token).status_code == 200
    assert 0.4 < time.monotonic() - started < 5
    assert upstream_calls(api_redis) == 1


def test_a_walked_snapshot_is_kept_as_long_as_its_next_token(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    body = queue_body(queue_ids, "AGENTS_ONLINE", MaxResults=5)
    feed_poll(centre, body, zeros(queue_ids, "AGENTS_ONLINE"))
    assert post(client, centre.instance_id, body, token=token).json()["data"]["NextToken"]
    keys = redis.Redis.from_url(api_redis).keys("cm:api:snapshot:*")
    ttls = [redis.Redis.from_url(api_redis).ttl(key) for key in keys]
    assert max(ttls) >= 300


def test_remember_poll_never_fails_a_poll_when_redis_is_down(
    centre: ConnectInstance, queue_ids: list[str], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    feed_poll(centre, queue_body(queue_ids, "AGENTS_ONLINE"), zeros(queue_ids, "AGENTS_ONLINE"))
    assert "Could not keep the poll" in caplog.text


@pytest.mark.django_db
def test_the_local_store_forgets_what_has_expired(api_embedded: None) -> None:
    local = store.LocalAnswerStore()
    assert local.take_flight("f", 0.05) is not None
    assert local.take_flight("f", 0.05) is None
    time.sleep(0.06)
    assert local.take_flight("f", 0.05) is not None


def test_a_walk_whose_snapshot_is_gone_is_told_to_start_again(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
    api_redis: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = queue_body(queue_ids, "AGENTS_ONLINE", MaxResults=5)
    next_token = post(client, centre.instance_id, body, token=token).json()["data"]["NextToken"]
    server = redis.Redis.from_url(api_redis)
    server.delete(*server.keys("cm:api:snapshot:*"))  # evicted under memory pressure
    monkeypatch.setattr(store, "_memo", store.OrderedDict())  # another web process
    status, code, message = error_of(
        post(client, centre.instance_id, {**body, "NextToken": next_token}, token=token)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("NextToken:") and "start again" in message


def test_a_real_polls_rows_answer_a_subset_of_its_queues_with_its_numbers(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], api_redis: str
) -> None:
    polled = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE")
    canonical = rules.canonical_request(polled)
    # What the poller does with a queue filter over every queue.
    fetched = fetch_current_metrics(centre, canonical, expected_queue_ids=queue_ids)
    cache.remember_poll(centre, canonical, fetched, timezone.now())
    calls = upstream_calls(api_redis)
    polled_values = {row.dimensions["Queue"]["Id"]: row.values for row in fetched.rows}
    asked = queue_body(queue_ids[:4], "OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE")
    rows = rows_of(post(client, centre.instance_id, asked, token=token))
    assert upstream_calls(api_redis) == calls
    assert {queue: values for queue, values in rows} == {
        queue: {
            "OLDEST_CONTACT_AGE": polled_values[queue]["OLDEST_CONTACT_AGE"],
            "CONTACTS_IN_QUEUE": polled_values[queue]["CONTACTS_IN_QUEUE"],
        }
        for queue in queue_ids[:4]
    }
    # Sorted by AGENTS_ONLINE, descending (the default), though not asked for.
    online = [polled_values[queue]["AGENTS_ONLINE"] or 0.0 for queue, _ in rows]
    assert online == sorted(online, reverse=True)
