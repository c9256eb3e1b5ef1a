"""GetCurrentUserData and GetMetricDataV2 through the drop-in Connect endpoint (/aws/), by
real clients no one here wrote: boto3 and the AWS CLI, signing with the product's access
keys, against a real server process whose instance is the simulated centre (the running
server of tests/e2e/test_aws_endpoint.py)."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.simulator import Faults, SimulatedCentre
from tests.e2e.test_aws_endpoint import DropIn, aws_error, dropin

pytestmark = pytest.mark.e2e

__all__ = ["dropin"]  # the running server, a module fixture


def profile_ids(dropin: DropIn) -> list[str]:
    answer = dropin.client().list_routing_profiles(InstanceId=SIMULATED_INSTANCE_ID)
    return sorted(p["Id"] for p in answer["RoutingProfileSummaryList"])


def instance_arn(dropin: DropIn) -> str:
    queue = dropin.client().list_queues(InstanceId=SIMULATED_INSTANCE_ID)["QueueSummaryList"][0]
    return queue["Arn"].split("/queue/")[0]


def today(dropin: DropIn, **extra: Any) -> dict[str, Any]:
    end = int(dropin.data_now()) - 60
    return {
        "ResourceArn": instance_arn(dropin),
        "StartTime": datetime.fromtimestamp(end - 6 * 3600, UTC),
        "EndTime": datetime.fromtimestamp(end, UTC),
        "Interval": {"IntervalPeriod": "TOTAL", "TimeZone": "UTC"},
        "Filters": [{"FilterKey": "QUEUE", "FilterValues": dropin.queues}],
        "Groupings": ["QUEUE"],
        "Metrics": [
            {"Name": "CONTACTS_QUEUED"},
            {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
        ],
        **extra,
    }


def test_boto3_walks_get_current_user_data_with_next_token(dropin: DropIn) -> None:
    client = dropin.client()
    params: dict[str, Any] = {
        "InstanceId": SIMULATED_INSTANCE_ID,
        "Filters": {"RoutingProfiles": profile_ids(dropin)},
        # Pages of two: even the night shift alone (03:00 UTC) fills several.
        "MaxResults": 2,
    }
    answer = client.get_current_user_data(**params)
    total = answer["ApproximateTotalCount"]
    rows = list(answer["UserDataList"])
    while answer.get("NextToken"):
        answer = client.get_current_user_data(**params, NextToken=answer["NextToken"])
        rows += answer["UserDataList"]
    ids = [row["User"]["Id"] for row in rows]
    assert 2 < total == len(ids) == len(set(ids))
    # botocore parsed the wire's epoch seconds as timestamps.
    assert all(isinstance(row["Status"]["StatusStartTimestamp"], datetime) for row in rows)
    assert {row["RoutingProfile"]["Id"] for row in rows} <= set(profile_ids(dropin))


def test_boto3_walks_get_metric_data_v2_with_next_token(dropin: DropIn) -> None:
    client = dropin.client()
    params = today(dropin, MaxResults=7)
    answer = client.get_metric_data_v2(**params)
    results = list(answer["MetricResults"])
    while answer.get("NextToken"):
        answer = client.get_metric_data_v2(**params, NextToken=answer["NextToken"])
        results += answer["MetricResults"]
    assert sorted(r["Dimensions"]["QUEUE"] for r in results) == dropin.queues
    assert {c["Metric"]["Name"] for c in results[0]["Collections"]} == {
        "CONTACTS_QUEUED",
        "SERVICE_LEVEL",
    }
    assert isinstance(results[0]["MetricInterval"]["StartTime"], datetime)


def test_the_same_refusals_as_the_centre(dropin: DropIn) -> None:
    broken = today(dropin, Metrics=[{"Name": "SERVICE_LEVEL"}])
    ours = aws_error(lambda: dropin.client().get_metric_data_v2(**broken))
    centre = SimulatedCentre(7, queues=20, faults=Faults()).client()
    theirs = aws_error(lambda: centre.get_metric_data_v2(**broken))
    assert ours == theirs
    assert ours[:2] == (400, "InvalidParameterException")
    two = {"RoutingProfiles": profile_ids(dropin), "Queues": dropin.queues}
    status, code, message = aws_error(
        lambda: dropin.client().get_current_user_data(InstanceId=SIMULATED_INSTANCE_ID, Filters=two)
    )
    assert (status, code) == (400, "InvalidRequestException")
    assert message.startswith("Filters: give exactly one of")


def test_a_key_scoped_to_another_instance_is_denied(dropin: DropIn) -> None:
    scoped = dropin.client("scoped")
    for call in (
        lambda: scoped.get_current_user_data(
            InstanceId=SIMULATED_INSTANCE_ID, Filters={"Queues": dropin.queues[:1]}
        ),
        lambda: scoped.get_metric_data_v2(**today(dropin)),
    ):
        status, code, message = aws_error(call)
        assert (status, code) == (403, "AccessDeniedException")
        assert SIMULATED_INSTANCE_ID in message
    status, code, _ = aws_error(
        lambda: dropin.client("revoked").get_metric_data_v2(**today(dropin))
    )
    assert (status, code) == (403, "UnrecognizedClientException")


def test_the_aws_cli_reads_user_data_and_metric_data(dropin: DropIn) -> None:
    users = dropin.cli(
        "connect",
        "get-current-user-data",
        "--instance-id",
        SIMULATED_INSTANCE_ID,
        "--filters",
        json.dumps({"RoutingProfiles": profile_ids(dropin)}),
    )
    assert users.returncode == 0, users.stderr
    answer = json.loads(users.stdout)
    assert len(answer["UserDataList"]) == answer["ApproximateTotalCount"] > 0
    end = int(dropin.data_now()) - 60
    data = dropin.cli(
        "connect",
        "get-metric-data-v2",
        "--resource-arn",
        instance_arn(dropin),
        "--start-time",
        str(end - 3600),
        "--end-time",
        str(end),
        "--filters",
        json.dumps([{"FilterKey": "QUEUE", "FilterValues": dropin.queues}]),
        "--groupings",
        "QUEUE",
        "--metrics",
        json.dumps([{"Name": "CONTACTS_HANDLED"}]),
    )
    assert data.returncode == 0, data.stderr
    assert sorted(r["Dimensions"]["QUEUE"] for r in json.loads(data.stdout)["MetricResults"]) == (
        dropin.queues
    )


# In the stack's own process: a today source on three queues, polled once while tools ask for
# GetMetricDataV2, then a boto3 walk on /aws/ of some of its queues since midnight (well
# within the instance's poll interval of the poll); the centre's call counts around the walk.
TODAY_COVER = """
import json, time
import boto3
from connectmetrics.models import ConnectInstance
from connectmetrics.poller.polling import Step, poll_source
from connectmetrics.simulator import CONTROL_URL_ENV, call_counts
from connectmetrics.today import rules
from connectmetrics.today.models import TodayQueue, TodaySource
from dashboard.lib import clock
import os

instance = ConnectInstance.objects.get(instance_id=%(instance)r)
client = boto3.session.Session().client(
    "connect", region_name=%(region)r, endpoint_url=%(endpoint)r,
    aws_access_key_id=%(key)r, aws_secret_access_key=%(secret)r,
)
def calls():
    counts = call_counts(os.environ[CONTROL_URL_ENV], instance.instance_id)
    return counts.get("GetMetricDataV2", 0)
source = TodaySource.objects.create(name="Today", instance=instance)
for queue in instance.queues.filter(queue_id__in=%(queues)r):
    TodayQueue.objects.create(source=source, queue=queue)
start, _ = rules.day_window(instance.time_zone, clock.moment())
asked = {
    "ResourceArn": %(arn)r,
    "StartTime": start,
    "Interval": {"IntervalPeriod": "TOTAL", "TimeZone": instance.time_zone},
    "Filters": [{"FilterKey": "QUEUE", "FilterValues": %(queues)r[:2]}],
    "Groupings": ["QUEUE"],
    "Metrics": [
        {"Name": "CONTACTS_HANDLED"},
        {"Name": "SERVICE_LEVEL", "Threshold": [
            {"Comparison": "LTE", "ThresholdValue": instance.service_level_threshold}]},
    ],
}
client.get_metric_data_v2(**asked, EndTime=clock.now() - 600)
result = poll_source(source.source_key)
while result.step is Step.DEFERRED:
    time.sleep(result.turn_in or 0.0)
    result = poll_source(
        source.source_key, resume_token=result.resume_token, turn_due_at=result.turn_due_at
    )
before = calls()
params = {**asked, "EndTime": clock.now(), "MaxResults": 1}
answer = client.get_metric_data_v2(**params)
queues, pages = [r["Dimensions"]["QUEUE"] for r in answer["MetricResults"]], 1
while answer.get("NextToken"):
    answer = client.get_metric_data_v2(**params, NextToken=answer["NextToken"])
    queues, pages = queues + [r["Dimensions"]["QUEUE"] for r in answer["MetricResults"]], pages + 1
print(json.dumps({"step": result.step.name, "before": before, "after": calls(),
                  "queues": queues, "pages": pages}))
"""


def test_boto3_is_answered_from_a_covering_today_source_with_no_connect_call(
    dropin: DropIn,
) -> None:
    key, secret = dropin.keys["valid"]
    script = TODAY_COVER % {
        "instance": SIMULATED_INSTANCE_ID,
        "region": "eu-west-2",
        "endpoint": dropin.endpoint,
        "key": key,
        "secret": secret,
        "queues": dropin.queues[:3],
        "arn": instance_arn(dropin),
    }
    seen = json.loads(dropin.stack.shell(script).strip().splitlines()[-1])
    assert seen["step"] == "OK"
    assert seen["after"] == seen["before"]  # both pages from the poll
    assert sorted(seen["queues"]) == dropin.queues[:2] and seen["pages"] == 2
