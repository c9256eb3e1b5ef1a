"""POST /metrics/current/<InstanceId>: the instance named in the URL, and who may call
(API tokens, staff sessions, the admin's and the command's tokens)."""

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from connectmetrics.api.auth import issue_token
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ApiToken, ConnectInstance
from connectmetrics.simulator.topology import account_id
from dashboard.lib import guard
from tests.api_support import (
    error_of,
    metrics,
    post,
    queue_body,
    rows_of,
)

pytest_plugins = ["tests.api_fixtures"]


pytestmark = pytest.mark.django_db

Q1 = "11111111-1111-4111-8111-111111111111"
ACCOUNT = "123456789012"
ARN = f"arn:aws:connect:eu-west-2:{ACCOUNT}:instance/{SIMULATED_INSTANCE_ID}"


def minimal(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Filters": {"Queues": [Q1]}, "CurrentMetrics": metrics("AGENTS_ONLINE")}
    body.update(changes)
    return body


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
