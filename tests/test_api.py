"""POST /metrics/current/<InstanceId>: validation, the envelope, access, paging, derivation."""

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from connectmetrics import client as client_module
from connectmetrics import rules
from connectmetrics.api import cache as cache_module
from connectmetrics.api import pagination
from connectmetrics.api.auth import issue_token
from connectmetrics.api.envelope import ErrorCode
from connectmetrics.catalogue import METRICS, SIMULATED_INSTANCE_ID, Channel
from connectmetrics.models import ApiToken, ConnectInstance, Queue
from connectmetrics.simulator import set_faults
from connectmetrics.simulator.topology import account_id
from dashboard.lib import guard
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
Q2 = "22222222-2222-4222-8222-222222222222"
Q3 = "33333333-3333-4333-8333-333333333333"
ACCOUNT = "123456789012"
ARN = f"arn:aws:connect:eu-west-2:{ACCOUNT}:instance/{SIMULATED_INSTANCE_ID}"


@pytest.fixture
def centre(api_embedded: None) -> ConnectInstance:
    """The simulated centre, its 20 queues discovered."""
    return simulated_centre()


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Workforce tool", [centre])[1]


@pytest.fixture
def queue_ids(centre: ConnectInstance) -> list[str]:
    return sorted(centre.queues.values_list("queue_id", flat=True))


def minimal(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Filters": {"Queues": [Q1]}, "CurrentMetrics": metrics("AGENTS_ONLINE")}
    body.update(changes)
    return body


# --- validation ----------------------------------------------------------------------------

# (body, the field the message must name, words of the rule)
RULE_CASES: dict[str, tuple[Any, str, str]] = {
    "unknown field": (minimal(Colour="blue"), "Colour", "not a parameter"),
    "unknown filter": (
        minimal(Filters={"Queues": [Q1], "Skills": ["x"]}),
        "Skills",
        "not a filter",
    ),
    "missing Filters": ({"CurrentMetrics": metrics("AGENTS_ONLINE")}, "Filters", "required"),
    "missing CurrentMetrics": ({"Filters": {"Queues": [Q1]}}, "CurrentMetrics", "required"),
    "no metric": (minimal(CurrentMetrics=[]), "CurrentMetrics", "at least one"),
    "unknown metric": (
        minimal(CurrentMetrics=[{"Name": "AGENTS_HAPPY", "Unit": "COUNT"}]),
        "CurrentMetrics",
        "not a metric",
    ),
    "wrong unit": (
        minimal(CurrentMetrics=[{"Name": "CONTACTS_IN_QUEUE", "Unit": "SECONDS"}]),
        "CurrentMetrics",
        "takes Unit COUNT",
    ),
    "MetricId": (
        minimal(CurrentMetrics=[{"MetricId": "x"}]),
        "CurrentMetrics",
        "MetricId is not supported",
    ),
    "metric twice": (
        minimal(CurrentMetrics=metrics("AGENTS_ONLINE", "AGENTS_ONLINE")),
        "CurrentMetrics",
        "asked for twice",
    ),
    "MaxResults 0": (minimal(MaxResults=0), "MaxResults", "from 1 to 100"),
    "MaxResults 101": (minimal(MaxResults=101), "MaxResults", "from 1 to 100"),
    "MaxResults text": (minimal(MaxResults="10"), "MaxResults", "whole number"),
    "MaxResults fraction": (minimal(MaxResults=2.5), "MaxResults", "whole number"),
    "MaxResults true": (minimal(MaxResults=True), "MaxResults", "whole number"),
    "two sort criteria": (
        minimal(
            SortCriteria=[
                {"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"},
                {"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "ASCENDING"},
            ]
        ),
        "SortCriteria",
        "at most 1",
    ),
    "sort on SLOTS_ACTIVE": (
        minimal(SortCriteria=[{"SortByMetric": "SLOTS_ACTIVE", "SortOrder": "ASCENDING"}]),
        "SortCriteria",
        "sorting on SLOTS_ACTIVE is not supported",
    ),
    "sort order": (
        minimal(SortCriteria=[{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "UP"}]),
        "SortCriteria",
        "SortOrder 'UP'",
    ),
    "three groupings": (
        minimal(
            Filters={"Queues": [Q1], "Channels": ["VOICE"]},
            Groupings=["QUEUE", "CHANNEL", "ROUTING_PROFILE"],
        ),
        "Groupings",
        "at most 2",
    ),
    "grouping twice": (minimal(Groupings=["QUEUE", "QUEUE"]), "Groupings", "same grouping twice"),
    "CHANNEL grouping without Channels": (
        minimal(Groupings=["CHANNEL"]),
        "Groupings",
        "CHANNEL grouping requires a Channels filter",
    ),
    "ROUTING_PROFILE grouping needs RoutingProfiles for queue metrics": (
        minimal(Groupings=["ROUTING_PROFILE"], CurrentMetrics=metrics("CONTACTS_IN_QUEUE")),
        "Groupings",
        "requires a RoutingProfiles filter",
    ),
    "AGENT_STATUS not primary": (
        minimal(Groupings=["ROUTING_PROFILE", "AGENT_STATUS"]),
        "Groupings",
        "QUEUE as the primary",
    ),
    "AGENT_STATUS with other metrics": (
        minimal(Groupings=["QUEUE", "AGENT_STATUS"], CurrentMetrics=metrics("CONTACTS_IN_QUEUE")),
        "CurrentMetrics",
        "only AGENTS_ONLINE",
    ),
    "Queues and RoutingProfiles": (
        minimal(Filters={"Queues": [Q1], "RoutingProfiles": [Q2]}),
        "Filters",
        "cannot be filtered together",
    ),
    "neither Queues nor RoutingProfiles": (
        minimal(Filters={"Channels": ["VOICE"]}),
        "Filters",
        "must include Queues or RoutingProfiles",
    ),
    "101 queues": (
        minimal(Filters={"Queues": [f"{n:08d}-1111-4111-8111-111111111111" for n in range(101)]}),
        "Filters.Queues",
        "at most 100",
    ),
    "not a queue ID": (
        minimal(Filters={"Queues": ["sales"]}),
        "Filters.Queues",
        "neither a queue ID",
    ),
    "five channels": (
        minimal(Filters={"Queues": [Q1], "Channels": [*Channel, "VOICE"]}),
        "Filters.Channels",
        "at most 4",
    ),
    "unknown channel": (
        minimal(Filters={"Queues": [Q1], "Channels": ["FAX"]}),
        "Filters.Channels",
        "not a channel",
    ),
    "routing step expressions without their grouping": (
        minimal(Filters={"Queues": [Q1], "RoutingStepExpressions": ["x"]}),
        "Filters.RoutingStepExpressions",
        "ROUTING_STEP_EXPRESSION",
    ),
    "empty NextToken": (minimal(NextToken=""), "NextToken", "non-empty string"),
    "body is a list": ([minimal()], "Request", "must be a JSON object"),
    "body is a number": (3, "Request", "must be a JSON object"),
}


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_each_rule_is_a_validation_error_naming_the_field_and_the_rule(
    client: Client, centre: ConnectInstance, token: str, case: str
) -> None:
    body, field, rule = RULE_CASES[case]
    status, code, message = error_of(post(client, centre.instance_id, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert field in message and rule in message
    # The same words as the admin form and the simulator: the rules module's.
    for violation in rules.check_request(body):
        assert violation.message in message


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{bad json", "is not valid JSON"),
        (b'{"MaxResults": NaN}', "NaN is not a JSON number"),
        (b"", "is empty"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"\xff\xfe\x00garbage", "is not valid JSON"),
    ],
)
def test_a_body_that_is_not_json_is_a_validation_error(
    client: Client, centre: ConnectInstance, token: str, raw: bytes, words: str
) -> None:
    status, code, message = error_of(post(client, centre.instance_id, None, token=token, raw=raw))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("Request body:") and words in message


def test_an_instance_id_in_the_body_must_be_the_one_in_the_url(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    other = "99999999-9999-4999-8999-999999999999"
    status, code, message = error_of(
        post(client, centre.instance_id, minimal(InstanceId=other), token=token)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("InstanceId:") and other in message


# --- the answer ----------------------------------------------------------------------------


def test_the_answer_is_aws_shaped_in_the_envelope_sorted_by_agents_online_by_default(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    body = queue_body(queue_ids, "OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE", "AGENTS_ONLINE")
    response = post(client, centre.instance_id, body, token=token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert set(payload) == {"success", "data"} and payload["success"] is True
    data = payload["data"]
    assert set(data) == {"MetricResults", "NextToken", "DataSnapshotTime", "ApproximateTotalCount"}
    assert data["NextToken"] is None
    assert data["ApproximateTotalCount"] == len(queue_ids) == len(data["MetricResults"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["DataSnapshotTime"])
    first = data["MetricResults"][0]
    assert set(first) == {"Dimensions", "Collections"}
    assert first["Dimensions"]["Queue"]["Id"] in queue_ids
    # Collections in the order asked, each with its catalogue unit.
    assert [c["Metric"] for c in first["Collections"]] == [
        {"Name": name, "Unit": str(METRICS[name].unit)}
        for name in ("OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE", "AGENTS_ONLINE")
    ]
    online = [values["AGENTS_ONLINE"] or 0.0 for _, values in rows_of(response)]
    assert online == sorted(online, reverse=True)
    assert {queue for queue, _ in rows_of(response)} == set(queue_ids)


def test_sorting_as_asked_even_on_a_metric_not_asked_for(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    asked = queue_body(
        queue_ids,
        "CONTACTS_IN_QUEUE",
        SortCriteria=[{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"}],
    )
    sorted_rows = [
        queue for queue, _ in rows_of(post(client, centre.instance_id, asked, token=token))
    ]
    both = queue_body(queue_ids, "CONTACTS_IN_QUEUE", "AGENTS_ONLINE")
    online = {
        q: v["AGENTS_ONLINE"] or 0.0
        for q, v in rows_of(post(client, centre.instance_id, both, token=token))
    }
    assert [online[q] for q in sorted_rows] == sorted(online[q] for q in sorted_rows)
    assert all(
        list(v) == ["CONTACTS_IN_QUEUE"]
        for _, v in rows_of(post(client, centre.instance_id, asked, token=token))
    )


@pytest.fixture
def stubbed(
    api_embedded: None, monkeypatch: pytest.MonkeyPatch
) -> tuple[ConnectInstance, Stubber, str]:
    """A real-Connect instance whose boto3 client answers from botocore's Stubber."""
    instance = ConnectInstance.objects.create(
        name="Prod", region="eu-west-2", instance_id=SIMULATED_INSTANCE_ID.replace("0001", "0002")
    )
    for queue_id in (Q1, Q2, Q3):
        Queue.objects.create(instance=instance, queue_id=queue_id, name=queue_id[:4])
    connect = boto3.client(
        "connect", region_name="eu-west-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    monkeypatch.setattr(client_module, "client_for", lambda _: connect)
    monkeypatch.setattr(cache_module, "client_for", lambda _: connect)
    stubber = Stubber(connect)
    stubber.activate()
    return instance, stubber, issue_token("t", [instance])[1]


def collection(name: str, value: float) -> dict[str, Any]:
    return {"Metric": {"Name": name, "Unit": str(METRICS[name].unit)}, "Value": value}


def test_oldest_contact_age_is_in_seconds_without_groupings_unlike_aws(
    client: Client, stubbed: tuple[ConnectInstance, Stubber, str]
) -> None:
    instance, stubber, token = stubbed
    stubber.add_response(
        "get_current_metric_data",
        {
            # AWS: no Groupings, so 24113.0 means 24.113 s although the Unit says SECONDS.
            "MetricResults": [
                {
                    "Dimensions": {},
                    "Collections": [
                        collection("OLDEST_CONTACT_AGE", 24113.0),
                        collection("AGENTS_ONLINE", 4.0),
                    ],
                }
            ],
            "DataSnapshotTime": datetime(2026, 11, 26, 8, 3, 22, 123000, tzinfo=UTC),
        },
    )
    body = {"Filters": {"Queues": [Q1, Q2]}, "CurrentMetrics": metrics("OLDEST_CONTACT_AGE")}
    response = post(client, instance.instance_id, body, token=token)
    assert rows_of(response) == [("", {"OLDEST_CONTACT_AGE": 24.113})]
    assert response.json()["data"]["DataSnapshotTime"] == "2026-11-26T08:03:22.123Z"


def test_idle_configured_queues_appear_as_zeros(
    client: Client, stubbed: tuple[ConnectInstance, Stubber, str]
) -> None:
    instance, stubber, token = stubbed
    stubber.add_response(
        "get_current_metric_data",
        {
            "MetricResults": [
                {
                    "Dimensions": {"Queue": {"Id": Q1, "Arn": "arn"}},
                    "Collections": [
                        collection("CONTACTS_IN_QUEUE", 3.0),
                        collection("AGENTS_ONLINE", 2.0),
                    ],
                }
            ],
            "DataSnapshotTime": timezone.now(),
        },
    )
    body = {
        "Filters": {"Queues": [Q1, Q2, Q3]},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": metrics("CONTACTS_IN_QUEUE", "AGENTS_ONLINE"),
    }
    rows = dict(rows_of(post(client, instance.instance_id, body, token=token)))
    assert rows == {
        Q1: {"CONTACTS_IN_QUEUE": 3.0, "AGENTS_ONLINE": 2.0},
        Q2: {"CONTACTS_IN_QUEUE": 0.0, "AGENTS_ONLINE": 0.0},
        Q3: {"CONTACTS_IN_QUEUE": 0.0, "AGENTS_ONLINE": 0.0},
    }


# --- the instance in the URL ---------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [SIMULATED_INSTANCE_ID, ARN, quote(ARN, safe="")],
    ids=["instance ID", "ARN", "URL-encoded ARN"],
)
def test_the_instance_is_named_by_its_id_or_its_arn(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str], ref: str
) -> None:
    ConnectInstance.objects.filter(pk=centre.pk).update(instance_arn=ARN)
    response = post(client, ref, queue_body(queue_ids[:2]), token=token)
    assert response.status_code == 200 and len(rows_of(response)) == 2


@pytest.mark.parametrize(
    "ref",
    [
        "99999999-9999-4999-8999-999999999999",
        ARN.replace(SIMULATED_INSTANCE_ID, "99999999-9999-4999-8999-999999999999"),
        "not-an-instance",
        "",
    ],
    ids=["unknown ID", "ARN of an unknown instance", "malformed", "empty"],
)
def test_an_unknown_instance_is_not_found(
    client: Client, centre: ConnectInstance, token: str, ref: str
) -> None:
    ConnectInstance.objects.filter(pk=centre.pk).update(instance_arn=ARN)
    response = client.post(
        f"/metrics/current/{ref}",
        json.dumps(minimal()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    if ref == "":
        assert response.status_code == 404  # no route at all
        return
    status, code, _ = error_of(response)
    assert (status, code) == (404, "NOT_FOUND")


OTHER_ACCOUNT = ARN.replace(ACCOUNT, "210987654321")
OTHER_REGION = ARN.replace("eu-west-2", "us-east-1")


@pytest.mark.parametrize("configured", [ARN, ""], ids=["ARN configured", "no ARN configured"])
@pytest.mark.parametrize(
    ("where", "arn", "field", "words"),
    [
        ("url", OTHER_REGION, "InstanceId", "Region us-east-1 is not the instance's (eu-west-2)"),
        ("url", OTHER_ACCOUNT, "InstanceId", "account 210987654321 is not the instance's"),
        ("body", OTHER_REGION, "InstanceId", "Region us-east-1"),
        ("queue", OTHER_REGION, "Filters.Queues", "Region us-east-1"),
        ("queue", OTHER_ACCOUNT, "Filters.Queues", "account 210987654321"),
        ("profile", OTHER_REGION, "Filters.RoutingProfiles", "Region us-east-1"),
    ],
)
def test_an_arn_of_another_region_or_account_is_refused_naming_the_field(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
    configured: str,
    where: str,
    arn: str,
    field: str,
    words: str,
) -> None:
    if "account" in words and not configured:
        # The account is known from the instance's or the role's ARN, or not at all.
        ConnectInstance.objects.filter(pk=centre.pk).update(
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/wallboard"
        )
    ConnectInstance.objects.filter(pk=centre.pk).update(instance_arn=configured)
    body = queue_body(queue_ids[:2])
    ref = centre.instance_id
    if where == "url":
        ref = quote(arn, safe="")
    elif where == "body":
        body["InstanceId"] = arn
    elif where == "queue":
        body["Filters"]["Queues"] = [f"{arn}/queue/{queue_ids[0]}"]
    else:
        profile = centre.routing_profiles.values_list("routing_profile_id", flat=True)[0]
        body = {**body, "Filters": {"RoutingProfiles": [f"{arn}/routing-profile/{profile}"]}}
        body.pop("Groupings", None)
    status, code, message = error_of(post(client, ref, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}: ") and words in message, message


def test_the_account_is_learned_from_discovery_without_an_arn_configured(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    # Its account is learned from the queue ARNs discovery found.
    arn = ARN.replace(ACCOUNT, account_id(centre.simulator_seed))
    assert centre.known_account_id() == account_id(centre.simulator_seed) != ACCOUNT
    body = queue_body(queue_ids[:2])
    body["Filters"]["Queues"] = [f"{arn}/queue/{queue_ids[0]}", queue_ids[1]]
    body["InstanceId"] = arn
    response = post(client, quote(arn, safe=""), body, token=token)
    assert response.status_code == 200 and len(rows_of(response)) == 2
    status, code, message = error_of(post(client, quote(ARN, safe=""), body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR") and message.startswith("InstanceId: ")


def test_a_disabled_instance_is_not_found(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    ConnectInstance.objects.filter(pk=centre.pk).update(enabled=False)
    status, code, message = error_of(post(client, centre.instance_id, minimal(), token=token))
    assert (status, code) == (404, "NOT_FOUND") and "disabled" in message


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_only_post_is_answered(client: Client, centre: ConnectInstance, method: str) -> None:
    response = getattr(client, method)(f"/metrics/current/{centre.instance_id}")
    status, code, _ = error_of(response)
    assert (status, code) == (405, "METHOD_NOT_ALLOWED")
    assert response["Allow"] == "POST"


# --- access --------------------------------------------------------------------------------


def test_no_token_is_unauthorized(client: Client, centre: ConnectInstance) -> None:
    response = post(client, centre.instance_id, minimal())
    status, code, message = error_of(response)
    assert (status, code) == (401, "UNAUTHORIZED") and "Bearer" in message
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer", "Token x"])
def test_a_bad_token_is_unauthorized(client: Client, centre: ConnectInstance, header: str) -> None:
    response = client.post(
        f"/metrics/current/{centre.instance_id}",
        json.dumps(minimal()),
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert error_of(response)[:2] == (401, "UNAUTHORIZED")


def test_a_revoked_token_is_refused_at_once(
    client: Client, centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    assert post(client, centre.instance_id, queue_body(queue_ids), token=token).status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    status, code, message = error_of(
        post(client, centre.instance_id, queue_body(queue_ids), token=token)
    )
    assert (status, code) == (401, "UNAUTHORIZED") and "revoked" in message


def test_a_revoked_token_is_never_counted_as_a_guess(
    client: Client,
    centre: ConnectInstance,
    token: str,
    queue_ids: list[str],
) -> None:
    _, revoked = issue_token("Old tool", [centre])
    ApiToken.objects.filter(name="Old tool").update(revoked_at=timezone.now())
    for _ in range(guard.RULE.failures * 2):
        status, code, message = error_of(
            post(client, centre.instance_id, queue_body(queue_ids), token=revoked)
        )
        assert (status, code, message) == (401, "UNAUTHORIZED", "This API token was revoked.")
    assert post(client, centre.instance_id, queue_body(queue_ids), token=token).status_code == 200


def test_a_token_for_one_instance_is_forbidden_on_another(
    client: Client, centre: ConnectInstance
) -> None:
    other = ConnectInstance.objects.create(
        name="Other", region="eu-west-2", instance_id=SIMULATED_INSTANCE_ID.replace("1", "9")
    )
    _, raw = issue_token("Other only", [other])
    status, code, _ = error_of(post(client, centre.instance_id, minimal(), token=raw))
    assert (status, code) == (403, "FORBIDDEN")


def test_a_token_for_every_instance_reads_any_and_records_its_use(
    client: Client, centre: ConnectInstance, queue_ids: list[str]
) -> None:
    token, raw = issue_token("BI job", all_instances=True)
    assert post(client, centre.instance_id, queue_body(queue_ids), token=raw).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_logged_in_staff_may_call_but_other_users_may_not(
    client: Client, centre: ConnectInstance, queue_ids: list[str]
) -> None:
    clerk = User.objects.create_user("clerk", password="x")
    client.force_login(clerk)
    assert error_of(post(client, centre.instance_id, queue_body(queue_ids)))[:2] == (
        403,
        "FORBIDDEN",
    )
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert post(client, centre.instance_id, queue_body(queue_ids)).status_code == 200


def test_a_staff_session_needs_the_csrf_token_a_bearer_token_does_not(
    centre: ConnectInstance, token: str, queue_ids: list[str]
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create_user("boss", password="x", is_staff=True))
    status, code, message = error_of(post(browser, centre.instance_id, queue_body(queue_ids)))
    assert (status, code) == (403, "FORBIDDEN") and "CSRF" in message
    assert (
        post(
            Client(enforce_csrf_checks=True), centre.instance_id, queue_body(queue_ids), token=token
        ).status_code
        == 200
    )


def test_a_staff_session_is_refused_from_a_page_of_another_origin(
    centre: ConnectInstance, queue_ids: list[str]
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create_user("boss", password="x", is_staff=True))
    browser.get("/api/")  # the docs page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    path = f"/metrics/current/{centre.instance_id}"
    body = json.dumps(queue_body(queue_ids))

    def sent_from(origin: str) -> Any:
        return browser.post(
            path, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf, HTTP_ORIGIN=origin
        )

    for origin in ("http://testserver:8080", "https://testserver", "http://evil.example"):
        status, code, message = error_of(sent_from(origin))
        assert (status, code) == (403, "FORBIDDEN") and "Origin" in message, origin
    assert sent_from("http://testserver").status_code == 200


def test_api_token_command_prints_the_token_once_and_stores_only_its_hash(
    centre: ConnectInstance,
    capsys: pytest.CaptureFixture[str],
    client: Client,
    queue_ids: list[str],
) -> None:
    call_command("api_token", "Chat bot", "--instance", centre.name)
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="Chat bot")
    assert raw not in (token.token_hash, token.prefix) and raw.startswith(token.prefix)
    assert list(token.instances.all()) == [centre] and not token.all_instances
    assert post(client, centre.instance_id, queue_body(queue_ids), token=raw).status_code == 200


def test_api_token_command_names_an_unknown_instance(centre: ConnectInstance) -> None:
    with pytest.raises(CommandError, match="--instance 'Nowhere'"):
        call_command("api_token", "Chat bot", "--instance", "Nowhere")
    assert not ApiToken.objects.exists()


def test_the_admin_shows_a_new_token_once_and_revokes_it(
    client: Client, centre: ConnectInstance
) -> None:
    client.force_login(User.objects.create_superuser("admin", password="x"))
    response = client.post(
        "/admin/connectmetrics/apitoken/add/",
        {"name": "Dashboard team", "instances": [centre.pk]},
        follow=True,
    )
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    (raw,) = [w for m in shown for w in m.split() if w.startswith(token.prefix)]
    assert token.token_hash not in response.content.decode()
    change = client.get(f"/admin/connectmetrics/apitoken/{token.pk}/change/").content.decode()
    assert raw not in change and token.token_hash not in change
    client.post(
        "/admin/connectmetrics/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    changelist = "/admin/connectmetrics/apitoken/"
    assert "Dashboard team" in client.get(changelist, {"state": "revoked"}).content.decode()
    assert "Dashboard team" not in client.get(changelist, {"state": "active"}).content.decode()


def test_the_admin_refuses_a_token_that_could_read_nothing(
    client: Client, centre: ConnectInstance
) -> None:
    client.force_login(User.objects.create_superuser("admin", password="x"))
    response = client.post("/admin/connectmetrics/apitoken/add/", {"name": "Nothing"})
    assert response.status_code == 200 and "every instance" in response.content.decode()
    assert not ApiToken.objects.exists()


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
