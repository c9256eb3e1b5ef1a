"""POST /metrics/data/<InstanceId>: GetMetricDataV2's request in the envelope, the instance
in the URL (ResourceArn optional, checked), one shared upstream call kept for the poll
interval, or the poll of a covering source plugged in for the operation."""

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from connectmetrics.api import records
from connectmetrics.api.auth import issue_token
from connectmetrics.api.records import Asked, Covered
from connectmetrics.client.quotas import GET_METRIC_DATA_V2
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ApiToken, ConnectInstance
from connectmetrics.simulator import call_counts, set_faults
from tests.api_support import error_of, run_together, simulated_centre

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db

CONCURRENT_CALLERS = 12
OTHER_ID = "00000000-0000-4000-8000-000000000002"


def calls(redis_url: str) -> int:
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get(GET_METRIC_DATA_V2, 0)


def post(client: Client, body: Any, *, token: str | None, ref: str = SIMULATED_INSTANCE_ID) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(
        f"/metrics/data/{ref}", json.dumps(body), content_type="application/json", **headers
    )


def today_body(instance: ConnectInstance, end: float, **extra: Any) -> dict[str, Any]:
    queues = sorted(instance.queues.values_list("queue_id", flat=True))
    return {
        "StartTime": end - 6 * 3600,
        "EndTime": end,
        "Interval": {"IntervalPeriod": "TOTAL", "TimeZone": "UTC"},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": queues}],
        "Groupings": ["QUEUE"],
        "Metrics": [
            {"Name": "CONTACTS_HANDLED"},
            {
                "Name": "SERVICE_LEVEL",
                "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}],
            },
        ],
        **extra,
    }


def queues_of(response: Any) -> list[str]:
    payload = response.json()
    assert payload["success"] is True, payload
    return [row["Dimensions"]["QUEUE"] for row in payload["data"]["MetricResults"]]


@pytest.fixture
def centre(api_redis: str) -> ConnectInstance:
    return simulated_centre()


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Workforce tool", [centre])[1]


def test_pages_walk_every_queue_from_one_upstream_answer(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    end = time.time() - 60
    first = post(client, today_body(centre, end, MaxResults=7), token=token)
    data = first.json()["data"]
    seen = queues_of(first)
    assert len(seen) == 7 and data["ApproximateTotalCount"] == 20
    interval = data["MetricResults"][0]["MetricInterval"]
    assert interval["Interval"] == "TOTAL" and interval["StartTime"].endswith("Z")
    while data["NextToken"]:
        page = post(
            client, today_body(centre, end, MaxResults=7, NextToken=data["NextToken"]), token=token
        )
        data = page.json()["data"]
        seen += queues_of(page)
    assert sorted(seen) == sorted(centre.queues.values_list("queue_id", flat=True))
    # The same request again, within the poll interval: from the cache.
    assert queues_of(post(client, today_body(centre, end), token=token))
    assert calls(api_redis) == 1


def test_resource_arn_may_be_left_out_and_must_be_the_instances_when_given(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    end = time.time() - 60
    account = centre.known_account_id()
    arn = f"arn:aws:connect:eu-west-2:{account}:instance/{SIMULATED_INSTANCE_ID}"
    assert len(queues_of(post(client, today_body(centre, end, ResourceArn=arn), token=token))) == 20
    other = f"arn:aws:connect:eu-west-2:{account}:instance/{OTHER_ID}"
    status, code, message = error_of(
        post(client, today_body(centre, end, ResourceArn=other), token=token)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message == (
        f"ResourceArn: names instance {OTHER_ID}, not the instance in the URL "
        f"({SIMULATED_INSTANCE_ID})"
    )
    elsewhere = f"arn:aws:connect:us-east-1:{account}:instance/{SIMULATED_INSTANCE_ID}"
    message = error_of(post(client, today_body(centre, end, ResourceArn=elsewhere), token=token))[2]
    assert message.startswith("ResourceArn: the ARN's Region us-east-1 is not the instance's")


@pytest.mark.parametrize(
    ("change", "starts"),
    [
        # An hour ahead of when the test runs, not of when it was collected.
        ({"EndTime": lambda: time.time() + 3600}, "EndTime: cannot be later than now"),
        ({"Filters": []}, "Filters: a list of 1 to 5 filters"),
        ({"Groupings": ["QUEUE"] * 5}, "Groupings: a list of at most 4"),
        (
            {"Metrics": [{"Name": "SERVICE_LEVEL"}]},
            "Metrics[0].Threshold: SERVICE_LEVEL needs exactly one threshold",
        ),
        (
            {
                "Metrics": [
                    {
                        "Name": "SERVICE_LEVEL",
                        "Threshold": [{"Comparison": "GT", "ThresholdValue": 20}],
                    }
                ]
            },
            "Metrics[0].Threshold[0].Comparison: LT or LTE",
        ),
        ({"MaxResults": 0}, "MaxResults: must be a whole number from 1 to 100"),
        (
            {"Interval": {"IntervalPeriod": "FIFTEEN_MIN"}, "StartTime": time.time() - 4 * 86400},
            "StartTime, EndTime: with IntervalPeriod FIFTEEN_MIN the range must be under 3 days",
        ),
    ],
)
def test_a_broken_rule_is_a_validation_error_naming_the_field(
    client: Client,
    centre: ConnectInstance,
    token: str,
    api_redis: str,
    change: dict[str, Any],
    starts: str,
) -> None:
    asked = {name: value() if callable(value) else value for name, value in change.items()}
    body = {**today_body(centre, time.time() - 60), **asked}
    status, code, message = error_of(post(client, body, token=token))
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith(starts), message
    assert calls(api_redis) == 0


def test_callers_without_a_good_token_for_the_instance_are_refused(
    client: Client, centre: ConnectInstance, token: str
) -> None:
    body = today_body(centre, time.time() - 60)
    assert error_of(post(client, body, token=None))[:2] == (401, "UNAUTHORIZED")
    other = ConnectInstance.objects.create(name="Other", region="eu-west-2", instance_id=OTHER_ID)
    _, elsewhere = issue_token("Other centre only", [other])
    assert error_of(post(client, body, token=elsewhere))[:2] == (403, "FORBIDDEN")
    ApiToken.objects.filter(name="Workforce tool").update(revoked_at=timezone.now())
    assert error_of(post(client, body, token=token)) == (
        401,
        "UNAUTHORIZED",
        "This API token was revoked.",
    )


def cover_every_request(instance: ConnectInstance, asked: Asked) -> Covered | None:
    """A kind's cover, as a "today" source kind plugs its own in (records.COVERS)."""
    return Covered([{"Dimensions": {"QUEUE": "from-a-source"}}], timezone.now())


def test_a_cover_plugged_in_for_the_operation_answers_with_no_connect_call(
    client: Client,
    centre: ConnectInstance,
    token: str,
    api_redis: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = f"{__name__}.cover_every_request"
    monkeypatch.setitem(records.COVERS, GET_METRIC_DATA_V2, (here,))
    assert queues_of(post(client, today_body(centre, time.time() - 60), token=token)) == [
        "from-a-source"
    ]
    assert calls(api_redis) == 0


@pytest.fixture
def shared_centre(api_redis: str, transactional_db: None) -> ConnectInstance:
    """The centre committed, so that threads (their own connections) see it."""
    return simulated_centre()


def test_concurrent_identical_requests_make_one_connect_call(
    shared_centre: ConnectInstance, api_redis: str
) -> None:
    token, raw = issue_token("BI job", [shared_centre])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    body = today_body(shared_centre, time.time() - 60)
    set_faults(api_redis, SIMULATED_INSTANCE_ID, latency=0.5)
    responses = run_together(CONCURRENT_CALLERS, lambda: post(Client(), body, token=raw))
    assert [r.status_code for r in responses] == [200] * CONCURRENT_CALLERS
    assert calls(api_redis) == 1
    assert len({r.content for r in responses}) == 1


def test_without_resource_arn_an_instance_of_unknown_account_is_told_to_give_it(
    client: Client, api_redis: str
) -> None:
    bare = ConnectInstance.objects.create(
        name="Not discovered", region="eu-west-2", instance_id=OTHER_ID
    )
    token = issue_token("Bare", [bare])[1]
    status, code, message = error_of(
        post(client, today_body(bare, time.time() - 60), token=token, ref=OTHER_ID)
    )
    assert (status, code) == (400, "VALIDATION_ERROR")
    assert message.startswith("ResourceArn: required for this instance, whose account")


def test_times_in_iso_8601_or_epoch_seconds_are_the_same_request(
    client: Client, centre: ConnectInstance, token: str, api_redis: str
) -> None:
    end = float(int(time.time()) - 60)
    epoch = today_body(centre, end)
    iso = {
        **epoch,
        "StartTime": datetime.fromtimestamp(epoch["StartTime"], UTC).isoformat(),
        "EndTime": datetime.fromtimestamp(end, UTC).isoformat().replace("+00:00", "Z"),
    }
    assert len(queues_of(post(client, iso, token=token))) == 20
    assert len(queues_of(post(client, epoch, token=token))) == 20
    assert calls(api_redis) == 1
