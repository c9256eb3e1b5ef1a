"""POST /metrics/userdata/<InstanceId>: GetCurrentUserData's request in the envelope,
answered from an agent source's poll when one covers it, else one shared upstream call."""

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from connectmetrics.agents.fetch import UserDataFetched
from connectmetrics.agents.kind import AgentSourceSource
from connectmetrics.agents.models import Agent, AgentSource, Resource
from connectmetrics.api.auth import issue_token
from connectmetrics.client.governor import governor
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA, QUOTAS
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ApiToken, ConnectInstance
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.simulator import call_counts, set_faults
from connectmetrics.sources.key import SourceKey
from tests.agents_support import agent_centre, at_the_busy_hour, whole_floor
from tests.api_support import error_of, run_together
from tests.conftest import free_port

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db

CONCURRENT_CALLERS = 12


def calls(redis_url: str) -> int:
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get(GET_CURRENT_USER_DATA, 0)


def post(client: Client, body: Any, *, token: str | None, ref: str = SIMULATED_INSTANCE_ID) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(
        f"/metrics/userdata/{ref}", json.dumps(body), content_type="application/json", **headers
    )


def profiles_body(instance: ConnectInstance, **extra: Any) -> dict[str, Any]:
    profile_ids = sorted(instance.routing_profiles.values_list("routing_profile_id", flat=True))
    return {"Filters": {"RoutingProfiles": profile_ids}, **extra}


def poll_once(source: SourceKey) -> Step:
    """Poll the source once, waiting for its turn of the quota when the poll is deferred."""
    result = poll_source(source)
    if result.step is Step.DEFERRED:
        time.sleep(result.turn_in or 0.0)
        result = poll_source(
            source, resume_token=result.resume_token, turn_due_at=result.turn_due_at
        )
    return result.step


def user_ids(response: Any) -> list[str]:
    payload = response.json()
    assert payload["success"] is True, payload
    return [row["User"]["Id"] for row in payload["data"]["UserDataList"]]


@pytest.fixture
def centre(api_redis: str, settings: Any) -> ConnectInstance:
    at_the_busy_hour(settings)
    return agent_centre(agents=150)


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Workforce tool", [centre])[1]


def test_pages_walk_with_next_token_to_the_whole_floor_with_one_upstream_walk(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    first = post(client, profiles_body(centre, MaxResults=40), token=token)
    data = first.json()["data"]
    upstream = calls(api_redis)
    assert upstream >= 1
    seen = user_ids(first)
    total = data["ApproximateTotalCount"]
    assert len(seen) == 40 < total
    # Timestamps as ISO 8601 in UTC, as the metrics endpoint writes its times.
    assert data["UserDataList"][0]["Status"]["StatusStartTimestamp"].endswith("Z")
    while data["NextToken"]:
        page = post(
            client, profiles_body(centre, MaxResults=40, NextToken=data["NextToken"]), token=token
        )
        data = page.json()["data"]
        seen += user_ids(page)
    assert len(seen) == len(set(seen)) == total
    assert calls(api_redis) == upstream


def test_a_next_token_of_another_request_is_refused_naming_the_field(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    first = post(client, profiles_body(centre, MaxResults=10), token=token).json()["data"]
    agent = user_ids(post(client, profiles_body(centre, MaxResults=1), token=token))
    other = {"Filters": {"Agents": agent}, "NextToken": first["NextToken"]}
    status, code, message = error_of(post(client, other, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("NextToken: belongs to a different request")


@pytest.mark.parametrize(
    ("body", "starts"),
    [
        ({}, "Filters: required"),
        ({"Filters": {"Queues": [], "Agents": []}}, "Filters: give exactly one of"),
        ({"Filters": {"Agents": ["nope"]}}, "Filters.Agents: 'nope' is neither"),
        (
            {"Filters": {"UserHierarchyGroups": [SIMULATED_INSTANCE_ID] * 2}},
            "Filters.UserHierarchyGroups: takes 1 to 1 entries",
        ),
        (
            {"Filters": {"Agents": [SIMULATED_INSTANCE_ID]}, "MaxResults": 101},
            "MaxResults: must be a whole number from 1 to 100",
        ),
        (
            {
                "Filters": {
                    "Agents": [SIMULATED_INSTANCE_ID],
                    "ContactFilter": {"ContactStates": ["BUSY"]},
                }
            },
            "Filters.ContactFilter.ContactStates: ['BUSY'] not among",
        ),
    ],
)
def test_a_broken_rule_is_a_validation_error_naming_the_field(
    client: Client, centre: ConnectInstance, token: str, api_redis: str, body: Any, starts: str
) -> None:
    status, code, message = error_of(post(client, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith(starts), message
    assert calls(api_redis) == 0


def test_callers_without_a_good_token_for_the_instance_are_refused(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    body = profiles_body(centre)
    assert error_of(post(client, body, token=None))[:2] == (401, "UNAUTHORIZED")
    other = ConnectInstance.objects.create(
        name="Other", region="eu-west-2", instance_id="00000000-0000-4000-8000-000000000002"
    )
    _, elsewhere = issue_token("Other centre only", [other])
    status, code, message = error_of(post(client, body, token=elsewhere))
    assert (status, code) == (403, "FORBIDDEN") and SIMULATED_INSTANCE_ID in message
    ApiToken.objects.filter(name="Workforce tool").update(revoked_at=timezone.now())
    status, code, message = error_of(post(client, body, token=token))
    assert (status, code, message) == (401, "UNAUTHORIZED", "This API token was revoked.")
    assert error_of(client.get(f"/metrics/userdata/{SIMULATED_INSTANCE_ID}"))[:2] == (
        405,
        "METHOD_NOT_ALLOWED",
    )


def ask_for_one_agent(client: Client, centre: ConnectInstance, token: str) -> None:
    agent = Agent.objects.filter(instance=centre).order_by("user_id").first()
    assert agent is not None
    post(client, {"Filters": {"Agents": [agent.user_id]}}, token=token)


def test_with_no_tool_asking_an_agent_poll_keeps_nothing_and_a_request_is_fetched(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    assert poll_once(whole_floor(centre).source_key) is Step.OK
    polled = calls(api_redis)
    assert user_ids(post(client, profiles_body(centre), token=token))
    assert calls(api_redis) > polled
    # Asked now: the next poll is kept and answers the next request.
    assert poll_once(whole_floor(centre, name="Floor again").source_key) is Step.OK
    polled = calls(api_redis)
    profiles = sorted(centre.routing_profiles.values_list("routing_profile_id", flat=True))
    assert user_ids(post(client, {"Filters": {"RoutingProfiles": profiles[:1]}}, token=token))
    assert calls(api_redis) == polled


def test_a_covering_agent_source_answers_with_no_connect_call(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    ask_for_one_agent(client, centre, token)  # tools ask: sources keep their polls
    floor = whole_floor(centre)
    assert poll_once(floor.source_key) is Step.OK
    polled = calls(api_redis)
    # The whole floor, and two of its routing profiles (picked from the poll).
    whole = post(client, profiles_body(centre), token=token)
    profiles = sorted(centre.routing_profiles.values_list("routing_profile_id", flat=True))[:2]
    part = post(client, {"Filters": {"RoutingProfiles": profiles}}, token=token)
    assert calls(api_redis) == polled
    assert whole.json()["data"]["ApproximateTotalCount"] > 0
    picked = [r["RoutingProfile"]["Id"] for r in part.json()["data"]["UserDataList"]]
    assert picked and set(picked) <= set(profiles)
    # Chosen agents: three of a source's five, picked by User.
    online = user_ids(whole)[:5]
    chosen = AgentSource.objects.create(
        name="Five agents", instance=centre, resource=Resource.AGENTS, agent_ids=online
    )
    assert poll_once(chosen.source_key) is Step.OK
    polled = calls(api_redis)
    three = post(client, {"Filters": {"Agents": online[:3]}}, token=token)
    assert calls(api_redis) == polled
    assert set(user_ids(three)) == set(online[:3])


def test_a_request_no_source_covers_is_fetched(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    # A source on some queues does not cover a request for other queues, nor one asking
    # for contact states it does not filter by.
    queues = sorted(centre.queues.values_list("queue_id", flat=True))
    source = AgentSource.objects.create(
        name="Two queues", instance=centre, resource=Resource.QUEUES
    )
    source.queues.set(centre.queues.filter(queue_id__in=queues[:2]))
    ask_for_one_agent(client, centre, token)
    assert poll_once(source.source_key) is Step.OK
    polled = calls(api_redis)
    assert user_ids(post(client, {"Filters": {"Queues": queues[:2]}}, token=token)) is not None
    assert calls(api_redis) == polled
    post(client, {"Filters": {"Queues": queues[:1]}}, token=token)
    assert calls(api_redis) == polled + 1
    states = {"Queues": queues[:2], "ContactFilter": {"ContactStates": ["CONNECTED"]}}
    post(client, {"Filters": states}, token=token)
    assert calls(api_redis) == polled + 2


@pytest.fixture
def shared_centre(api_redis: str, transactional_db: None) -> ConnectInstance:
    """The centre committed, so that threads (their own connections) see it."""
    return agent_centre(agents=150)


def test_concurrent_identical_requests_make_one_connect_call(
    shared_centre: ConnectInstance, api_redis: str
) -> None:
    token, raw = issue_token("BI job", [shared_centre])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    # One routing profile: one page upstream, so one call for everyone.
    profile = shared_centre.routing_profiles.order_by("name").first()
    assert profile is not None
    body = {"Filters": {"RoutingProfiles": [profile.routing_profile_id]}}
    set_faults(api_redis, SIMULATED_INSTANCE_ID, latency=0.5)
    responses = run_together(CONCURRENT_CALLERS, lambda: post(Client(), body, token=raw))
    assert [r.status_code for r in responses] == [200] * CONCURRENT_CALLERS
    assert calls(api_redis) == 1
    assert len({r.content for r in responses}) == 1


def test_over_the_user_data_quota_the_caller_is_throttled_and_connect_never_sees_it(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    quota = governor()
    rate = QUOTAS[GET_CURRENT_USER_DATA]
    for _ in range(rate.burst + 3 * int(rate.rate)):
        quota.reserve(centre.quota_key, GET_CURRENT_USER_DATA)  # the line is 3 s long
    response = post(client, profiles_body(centre), token=token)
    status, code, message = error_of(response)
    assert (status, code) == (429, "THROTTLED")
    assert "GetCurrentUserData quota" in message and int(response["Retry-After"]) >= 2
    assert calls(api_redis) == 0


def test_an_agent_poll_never_fails_when_the_cache_cannot_keep_it(
    centre: ConnectInstance, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    source = AgentSourceSource(whole_floor(centre))
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    source.learn(source.request(), UserDataFetched([], 1), timezone.now())
    assert "Could not keep the poll of agent_source" in caplog.text


@pytest.mark.parametrize(
    ("instance_id", "message"),
    [
        ("nope", "InstanceId: 'nope' is neither an instance ID (a UUID) nor an instance ARN"),
        (7, "InstanceId: must be a string, not int"),
        (
            "00000000-0000-4000-8000-000000000002",
            "InstanceId: 00000000-0000-4000-8000-000000000002 in the body is not the instance "
            f"in the URL ({SIMULATED_INSTANCE_ID}).",
        ),
    ],
)
def test_an_instance_id_in_the_body_must_be_the_one_in_the_url(
    client: Client, centre: ConnectInstance, token: str, instance_id: object, message: str
) -> None:
    body = profiles_body(centre, InstanceId=instance_id)
    status, code, said = error_of(post(client, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert said.startswith(message), said
