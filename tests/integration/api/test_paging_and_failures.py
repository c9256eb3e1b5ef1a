"""POST /metrics/current/<InstanceId>: paging, answers derived from a polled filter's
snapshot, the OpenAPI document and docs page, and failures elsewhere (Redis, Connect)."""

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from connectmetrics.api import pagination
from connectmetrics.api.auth import issue_token
from connectmetrics.api.envelope import ErrorCode
from connectmetrics.connectapi.catalogue import METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator import set_faults
from tests.api_support import (
    error_of,
    feed_poll,
    metrics,
    post,
    queue_body,
    rows_of,
    simulated_centre,
    upstream_calls,
)

pytest_plugins = ["tests.api_fixtures"]


pytestmark = pytest.mark.django_db

Q1 = "11111111-1111-4111-8111-111111111111"


# --- paging --------------------------------------------------------------------------------


def walk(client: Client, instance: ConnectInstance, body: dict[str, Any], token: str) -> list[Any]:
    pages = []
    while True:
        response = post(client, instance.instance_id, body, token=token)
        assert response.status_code == 200, response.content
        pages.append(response.json()["data"])
        if pages[-1]["NextToken"] is None:
            return pages
        body = {**body, "NextToken": pages[-1]["NextToken"]}


def test_pages_cover_every_row_once_in_order_from_one_snapshot(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    body = queue_body(queue_ids, "CONTACTS_IN_QUEUE", MaxResults=6)
    first = post(client, centre.instance_id, body, token=token).json()["data"]
    # A new poll lands mid-walk: the walk still reads the moment it started on.
    feed_poll(
        centre,
        queue_body(queue_ids, "CONTACTS_IN_QUEUE"),
        {q: {"CONTACTS_IN_QUEUE": 99.0} for q in queue_ids},
    )
    rest = walk(client, centre, {**body, "NextToken": first["NextToken"]}, token)
    pages = [first, *rest]
    assert [len(p["MetricResults"]) for p in pages] == [6, 6, 6, 2]
    assert {p["DataSnapshotTime"] for p in pages} == {first["DataSnapshotTime"]}
    results = [r for p in pages for r in p["MetricResults"]]
    assert sorted(r["Dimensions"]["Queue"]["Id"] for r in results) == queue_ids
    assert 99.0 not in [c["Value"] for r in results for c in r["Collections"]]
    # A fresh request (no NextToken) sees the new poll.
    fresh = post(client, centre.instance_id, {**body, "MaxResults": 100}, token=token)
    assert {v["CONTACTS_IN_QUEUE"] for _, v in rows_of(fresh)} == {99.0}


def test_a_next_token_expires_after_five_minutes(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(pagination, "clock", lambda: now[0])
    body = queue_body(queue_ids, MaxResults=5)
    next_token = post(client, centre.instance_id, body, token=token).json()["data"]["NextToken"]
    now[0] += 299
    page = post(client, centre.instance_id, {**body, "NextToken": next_token}, token=token)
    assert page.status_code == 200
    now[0] += 2
    status, code, message = error_of(
        post(client, centre.instance_id, {**body, "NextToken": next_token}, token=token)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("NextToken:") and "expired" in message


@pytest.mark.parametrize(
    "change",
    [
        {"CurrentMetrics": metrics("AGENTS_ONLINE")},
        {"SortCriteria": [{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"}]},
        {"Groupings": ["QUEUE", "CHANNEL"]},
    ],
    ids=["other metrics", "other sort", "other groupings"],
)
def test_a_next_token_with_other_parameters_is_refused(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
    change: dict[str, Any],
) -> None:
    body = queue_body(queue_ids, MaxResults=5)
    next_token = post(client, centre.instance_id, body, token=token).json()["data"]["NextToken"]
    status, code, message = error_of(
        post(client, centre.instance_id, {**body, **change, "NextToken": next_token}, token=token)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("NextToken:") and "different request" in message


def test_the_same_request_in_another_order_keeps_walking(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    body = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE", MaxResults=5)
    next_token = post(client, centre.instance_id, body, token=token).json()["data"]["NextToken"]
    shuffled = {
        **body,
        "Filters": {"Channels": ["TASK", "VOICE", "CHAT"], "Queues": list(reversed(queue_ids))},
        "CurrentMetrics": list(reversed(body["CurrentMetrics"])),
        "NextToken": next_token,
    }
    assert post(client, centre.instance_id, shuffled, token=token).status_code == 200


@pytest.mark.parametrize("forged", ["x", "eyJpIjoxfQ:1abc:def", "a" * 500])
def test_a_forged_next_token_is_refused(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], forged: str
) -> None:
    body = queue_body(queue_ids, NextToken=forged)
    status, code, message = error_of(post(client, centre.instance_id, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR") and message.startswith("NextToken:")


# --- derivation ----------------------------------------------------------------------------


def test_a_subset_of_a_polled_filter_is_answered_from_its_snapshot(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    polled = queue_body(queue_ids, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE")
    values = {
        q: {
            "AGENTS_ONLINE": float(n),
            "CONTACTS_IN_QUEUE": float(20 - n),
            "OLDEST_CONTACT_AGE": 1.5,
        }
        for n, q in enumerate(queue_ids)
    }
    feed_poll(centre, polled, values)
    asked = queue_body(
        queue_ids[2:5],
        "CONTACTS_IN_QUEUE",
        SortCriteria=[{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"}],
    )
    rows = rows_of(post(client, centre.instance_id, asked, token=token))
    assert rows == [
        (q, {"CONTACTS_IN_QUEUE": values[q]["CONTACTS_IN_QUEUE"]}) for q in reversed(queue_ids[2:5])
    ]


# --- described -----------------------------------------------------------------------------


def test_the_openapi_document_describes_the_endpoint_from_the_catalogue(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    operation = document["paths"]["/metrics/current/{InstanceId}"]["post"]
    assert {int(s) for s in operation["responses"]} == {200, 400, 401, 403, 404, 405, 429, 502, 503}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert "OLDEST_CONTACT_AGE is in seconds" in operation["description"]
    schemas = document["components"]["schemas"]
    pairs = {
        (m["properties"]["Name"]["const"], m["properties"]["Unit"]["const"])
        for m in schemas["CurrentMetric"]["oneOf"]
    }
    assert pairs == {(name, str(metric.unit)) for name, metric in METRICS.items()}
    assert schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"] == list(ErrorCode)
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document))
    assert refs and set(refs) <= set(schemas)


def test_the_docs_page_example_works_as_written(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    client.force_login(User.objects.create_user("boss", password="x", is_staff=True))
    page = client.get("/api/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "OLDEST_CONTACT_AGE is in seconds with or without Groupings" in text
    import html

    examples = re.findall(
        r"curl -sS -X POST (\S+) \\\n.*?\n\s+-d '(.*?)'", html.unescape(text), re.S
    )
    assert len(examples) == 2
    (url, good), (_, bad) = examples
    path = url.replace("http://testserver", "")
    good_answer = client.post(path, good, content_type="application/json")
    assert good_answer.status_code == 200 and len(rows_of(good_answer)) == 3
    status, code, message = error_of(client.post(path, bad, content_type="application/json"))
    assert (status, code) == (400, "VALIDATION_ERROR") and "CHANNEL grouping" in message


def test_the_docs_page_shows_no_configured_instance_to_anonymous_readers(
    client: Client, centre: ConnectInstance
) -> None:
    ConnectInstance.objects.filter(pk=centre.pk).update(
        instance_id="12345678-1234-4234-8234-123456789012"
    )
    text = client.get("/api/").content.decode()
    assert "12345678-1234-4234-8234-123456789012" not in text and SIMULATED_INSTANCE_ID in text


# --- what goes wrong elsewhere ---------------------------------------------------------------


@pytest.fixture
def centre_on_redis(api_redis: str) -> ConnectInstance:
    return simulated_centre()


def test_redis_down_is_unavailable_never_a_500(
    client: Client, centre_on_redis: ConnectInstance, settings: Any, queue_ids_on_redis: list[str]
) -> None:
    from tests.conftest import free_port

    _, raw = issue_token("t", [centre_on_redis])
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    status, code, message = error_of(
        post(client, centre_on_redis.instance_id, queue_body(queue_ids_on_redis), token=raw)
    )
    assert (status, code) == (503, "UNAVAILABLE") and "Redis" in message


@pytest.fixture
def queue_ids_on_redis(centre_on_redis: ConnectInstance) -> list[str]:
    return sorted(centre_on_redis.queues.values_list("queue_id", flat=True))


@pytest.mark.parametrize(
    ("fault", "status", "code", "calls"),
    [
        ({"access_denied": True}, 502, "UPSTREAM_ERROR", 1),
        ({"not_found": True}, 502, "UPSTREAM_ERROR", 1),
        # botocore's standard retries: three attempts, each paced by the governor.
        ({"throttle": 1.0}, 429, "THROTTLED", 3),
        ({"internal_error": 1.0}, 502, "UPSTREAM_ERROR", 3),
    ],
    ids=["access denied", "not found", "throttled", "internal error"],
)
def test_upstream_failures_come_out_as_their_codes(
    client: Client,
    centre_on_redis: ConnectInstance,
    queue_ids_on_redis: list[str],
    api_redis: str,
    fault: dict[str, Any],
    status: int,
    code: str,
    calls: int,
) -> None:
    _, raw = issue_token("t", [centre_on_redis])
    set_faults(api_redis, SIMULATED_INSTANCE_ID, **fault)
    response = post(client, centre_on_redis.instance_id, queue_body(queue_ids_on_redis), token=raw)
    assert error_of(response)[:2] == (status, code)
    assert upstream_calls(api_redis) == calls
    if code == "THROTTLED":
        assert int(response["Retry-After"]) >= 1
