"""The drop-in Connect endpoint (/aws/) against real clients no one here wrote: boto3 and
the AWS CLI, signing with access keys the product issued, talking to a real server process
(bin/web, full topology on a private Redis) whose instance is the simulated centre.

"The same answer as AWS" is checked against the simulated centre asked directly by boto3 at
the same moment (DataSnapshotTime): it answers as Amazon Connect does.
"""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.auth
import pytest
import redis
import urllib3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from connectmetrics.client.governor import RedisGovernor
from connectmetrics.client.quotas import GET_CURRENT_METRIC_DATA
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.simulator import Faults, SimulatedCentre
from tests.agents_support import busy_hour_clock, data_now
from tests.api_support import metrics
from tests.conftest import RedisServer
from tests.processes import ROOT, Service, Stack

pytestmark = pytest.mark.e2e

REGION = "eu-west-2"
OTHER_INSTANCE_ID = "00000000-0000-4000-8000-000000000002"
AWS = str(Path(sys.executable).parent / "aws")

SETUP = """
import json
from django.core.management import call_command
from django.utils import timezone
from connectmetrics.awsapi.keys import issue_access_key
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance
call_command("migrate", verbosity=0)
instance = ConnectInstance.objects.create(
    name="Simulated centre", region="eu-west-2", instance_id="%(instance)s",
    access_mode=AccessMode.SIMULATED, simulator_seed=7, simulator_queues=20, poll_interval=5,
)
discover(instance)
other = ConnectInstance.objects.create(
    name="Other centre", region="eu-west-2", instance_id="%(other)s",
    access_mode=AccessMode.SIMULATED, simulator_seed=8, simulator_queues=5,
)
scoped, scoped_secret = issue_access_key("Other centre only", [other])
revoked, revoked_secret = issue_access_key("Revoked", all_instances=True)
revoked.revoked_at = timezone.now()
revoked.save()
print(json.dumps({
    "scoped": [scoped.access_key_id, scoped_secret],
    "revoked": [revoked.access_key_id, revoked_secret],
    "queues": sorted(instance.queues.values_list("queue_id", flat=True)),
}))
""" % {"instance": SIMULATED_INSTANCE_ID, "other": OTHER_INSTANCE_ID}  # noqa: UP031


class DropIn:
    """The running server, the keys it issued, the queues of its simulated instance."""

    def __init__(
        self,
        web: Service,
        stack: Stack,
        keys: dict[str, tuple[str, str]],
        queues: list[str],
        clock: dict[str, str],
    ):
        self.web = web
        self.stack = stack
        self.keys = keys
        self.queues = queues
        self.clock = clock

    def data_now(self) -> float:
        """Now on the server's clock (its centre's busy hour), in epoch seconds."""
        return data_now(self.clock)

    @property
    def endpoint(self) -> str:
        return f"{self.web.url}/aws"

    def client(self, key: str = "valid", *, attempts: int = 3) -> BaseClient:
        key_id, secret = self.keys[key]
        return boto3.session.Session().client(
            "connect",
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
        )

    def cli(
        self, *args: str, key: str = "valid", wrapper: bool = False, **env: str
    ) -> "subprocess.CompletedProcess[str]":
        key_id, secret = self.keys[key]
        command = [sys.executable, str(ROOT / "tests" / "aws_cli.py")] if wrapper else [AWS]
        return subprocess.run(
            [
                *command,
                *args,
                "--endpoint-url",
                self.endpoint,
                "--region",
                REGION,
                "--output",
                "json",
            ],
            env={
                **os.environ,
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_MAX_ATTEMPTS": "1",
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
        )


@pytest.fixture(scope="module")
def dropin(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DropIn]:
    # The server's clock runs from the centre's busy hour: contacts wait and every queue
    # has the day's contacts, whatever the hour the suite runs.
    clock = busy_hour_clock()
    stack = Stack(tmp_path_factory.mktemp("aws"), redis_url=redis_server.fresh(), env=clock)
    setup = json.loads(stack.shell(SETUP).strip().splitlines()[-1])
    made = stack.manage("aws_access_key", "Scripts")
    lines = made.stdout.splitlines()
    assert len(lines) == 2, made.stdout
    key_id = lines[0].removeprefix("AWS_ACCESS_KEY_ID=")
    secret = lines[1].removeprefix("AWS_SECRET_ACCESS_KEY=")
    assert re.fullmatch(r"[A-Z0-9]{20}", key_id) and len(secret) == 40, lines
    keys = {
        "valid": (key_id, secret),
        "wrong secret": (key_id, secret[:-1] + ("A" if secret[-1] != "A" else "B")),
        "unknown": ("CWAKUNKNOWNKEY234567", secret),
        "scoped": tuple(setup["scoped"]),
        "revoked": tuple(setup["revoked"]),
    }
    web = stack.start_web()
    try:
        yield DropIn(web, stack, keys, setup["queues"], clock)  # type: ignore[arg-type]
    finally:
        stack.stop_all()


def simulator_at(moment: datetime) -> BaseClient:
    """boto3 on the simulated centre itself, frozen at `moment` (a DataSnapshotTime)."""
    at = round(moment.timestamp(), 3)
    return SimulatedCentre(7, queues=20, faults=Faults(), clock=lambda: at).client()


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def aws_error(call: Callable[[], Any]) -> tuple[int, str, str]:
    """(HTTP status, error type, message) of the ClientError the call raises."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def by_queue(dropin: DropIn, *names: str, **extra: Any) -> dict[str, Any]:
    return {
        "InstanceId": SIMULATED_INSTANCE_ID,
        "Filters": {"Queues": dropin.queues, "Channels": ["VOICE", "CHAT", "TASK"]},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": metrics(*(names or ("AGENTS_ONLINE", "CONTACTS_IN_QUEUE"))),
        **extra,
    }


# -- the same answers as Amazon Connect -----------------------------------------------


@pytest.mark.parametrize(
    "request_of",
    [
        pytest.param(
            lambda d: by_queue(
                d, "CONTACTS_IN_QUEUE", "AGENTS_AVAILABLE", "OLDEST_CONTACT_AGE", "AGENTS_ONLINE"
            ),
            id="grouped by queue",
        ),
        pytest.param(
            lambda d: {
                **by_queue(d, "OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE"),
                "Groupings": [],
            },
            id="no groupings: OLDEST_CONTACT_AGE in milliseconds",
        ),
        pytest.param(
            lambda d: by_queue(
                d,
                "ESTIMATED_WAIT_TIME",
                "AGENTS_STAFFED",
                Groupings=["QUEUE", "CHANNEL"],
                SortCriteria=[{"SortByMetric": "AGENTS_STAFFED", "SortOrder": "ASCENDING"}],
            ),
            id="queue and channel, sorted, unknown values",
        ),
    ],
)
def test_boto3_gets_what_the_centre_answers_at_the_same_moment(
    dropin: DropIn, request_of: Callable[[DropIn], dict[str, Any]]
) -> None:
    request = request_of(dropin)
    answer = dropin.client().get_current_metric_data(**request)
    direct = simulator_at(answer["DataSnapshotTime"]).get_current_metric_data(**request)
    assert without_metadata(answer) == without_metadata(direct)
    assert answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_oldest_contact_age_is_milliseconds_without_groupings(dropin: DropIn) -> None:
    request = {**by_queue(dropin, "OLDEST_CONTACT_AGE", "CONTACTS_IN_QUEUE"), "Groupings": []}
    request["Filters"]["Queues"] = dropin.queues
    client = dropin.client()
    answer = client.get_current_metric_data(**request)
    grouped = simulator_at(answer["DataSnapshotTime"]).get_current_metric_data(
        **{**request, "Groupings": ["QUEUE"]}
    )
    [ungrouped_row] = answer["MetricResults"]
    values = {c["Metric"]["Name"]: c.get("Value") for c in ungrouped_row["Collections"]}
    oldest_seconds = max(
        c.get("Value", 0)
        for row in grouped["MetricResults"]
        for c in row["Collections"]
        if c["Metric"]["Name"] == "OLDEST_CONTACT_AGE"
    )
    assert values["CONTACTS_IN_QUEUE"] > 0, "the demo centre has contacts waiting"
    # Milliseconds, while the Unit says SECONDS, as AWS does: a thousand times the seconds.
    assert oldest_seconds * 1000 <= values["OLDEST_CONTACT_AGE"] < (oldest_seconds + 1) * 1000


def test_pages_walk_with_next_token_to_the_whole_answer(dropin: DropIn) -> None:
    client = dropin.client()
    request = by_queue(dropin, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE")
    pages = [client.get_current_metric_data(**request, MaxResults=4)]
    while "NextToken" in pages[-1]:
        pages.append(
            client.get_current_metric_data(
                **request, MaxResults=4, NextToken=pages[-1]["NextToken"]
            )
        )
    moment = pages[0]["DataSnapshotTime"]
    assert {page["DataSnapshotTime"] for page in pages} == {moment}
    direct = simulator_at(moment).get_current_metric_data(**request)
    assert [row for page in pages for row in page["MetricResults"]] == direct["MetricResults"]
    assert len(pages) == -(-direct["ApproximateTotalCount"] // 4) > 1


def test_list_paginators_walk_every_queue_and_routing_profile(dropin: DropIn) -> None:
    client = dropin.client()
    centre = SimulatedCentre(7, queues=20, faults=Faults()).client()
    for operation, listed, page_size, params in (
        ("list_queues", "QueueSummaryList", 7, {"QueueTypes": ["STANDARD"]}),
        ("list_queues", "QueueSummaryList", 30, {}),
        ("list_routing_profiles", "RoutingProfileSummaryList", 2, {}),
    ):
        pages = list(
            client.get_paginator(operation).paginate(
                InstanceId=SIMULATED_INSTANCE_ID, PaginationConfig={"PageSize": page_size}, **params
            )
        )
        expected = [
            item
            for page in centre.get_paginator(operation).paginate(
                InstanceId=SIMULATED_INSTANCE_ID, **params
            )
            for item in page[listed]
        ]
        assert len(pages) > 1
        assert [item for page in pages for item in page[listed]] == expected


def test_the_same_refusal_as_the_centre_for_a_broken_request(dropin: DropIn) -> None:
    broken = {**by_queue(dropin), "Groupings": ["CHANNEL"], "Filters": {"Queues": dropin.queues}}
    ours = aws_error(lambda: dropin.client().get_current_metric_data(**broken))
    theirs = aws_error(lambda: simulator_at(datetime.now(UTC)).get_current_metric_data(**broken))
    assert ours == theirs
    assert ours[:2] == (400, "InvalidRequestException")
    too_many = aws_error(
        lambda: dropin.client().get_current_metric_data(**by_queue(dropin), MaxResults=500)
    )
    assert too_many[:2] == (400, "InvalidParameterException")
    assert "MaxResults" in too_many[2]


def test_unknown_and_unreadable_instances(dropin: DropIn) -> None:
    missing = "00000000-0000-4000-8000-0000000000ff"
    status, code, _ = aws_error(
        lambda: dropin.client().get_current_metric_data(
            **{**by_queue(dropin), "InstanceId": missing}
        )
    )
    assert (status, code) == (404, "ResourceNotFoundException")
    status, code, message = aws_error(
        lambda: dropin.client("scoped").get_current_metric_data(**by_queue(dropin))
    )
    assert (status, code) == (403, "AccessDeniedException")
    assert SIMULATED_INSTANCE_ID in message


def test_operations_not_served_answer_as_aws_does_for_unknown_ones(dropin: DropIn) -> None:
    status, code, message = aws_error(
        lambda: dropin.client().describe_instance(InstanceId=SIMULATED_INSTANCE_ID)
    )
    assert (status, code) == (404, "UnknownOperationException")
    assert "GetCurrentMetricData" in message


# -- authentication --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("unknown", "UnrecognizedClientException"),
        ("revoked", "UnrecognizedClientException"),
        ("wrong secret", "InvalidSignatureException"),
    ],
)
def test_boto3_with_keys_that_do_not_sign(dropin: DropIn, key: str, expected: str) -> None:
    client = dropin.client(key)
    for call in (
        lambda: client.get_current_metric_data(**by_queue(dropin)),
        lambda: client.list_queues(InstanceId=SIMULATED_INSTANCE_ID),
        lambda: client.list_routing_profiles(InstanceId=SIMULATED_INSTANCE_ID),
    ):
        assert aws_error(call)[:2] == (403, expected)


def test_a_body_changed_after_signing_is_refused(dropin: DropIn) -> None:
    client = dropin.client()

    def change_body(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b'"MaxResults": 5', b'"MaxResults": 6')

    client.meta.events.register("before-send.connect", change_body)
    status, code, _ = aws_error(
        lambda: client.get_current_metric_data(**by_queue(dropin), MaxResults=5)
    )
    assert (status, code) == (403, "InvalidSignatureException")


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_skewed_clock_is_refused(dropin: DropIn, skew: timedelta) -> None:
    real = botocore.auth.get_current_datetime
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: real() + skew):
        status, code, message = aws_error(
            lambda: dropin.client().get_current_metric_data(**by_queue(dropin))
        )
        assert (status, code) == (403, "InvalidSignatureException")
        assert message.startswith(
            "Signature expired" if skew < timedelta(0) else "Signature not yet"
        )
    with mock.patch.object(
        botocore.auth, "get_current_datetime", lambda: real() + timedelta(minutes=4)
    ):
        # A request of its own: the same GET in the same second would be a replay.
        size = 7 if skew < timedelta(0) else 8
        assert dropin.client().list_routing_profiles(
            InstanceId=SIMULATED_INSTANCE_ID, MaxResults=size
        )


def test_a_replayed_request_is_refused(dropin: DropIn) -> None:
    client = dropin.client()
    sent: list[Any] = []
    client.meta.events.register("before-send.connect", lambda request, **_: sent.append(request))
    client.list_routing_profiles(InstanceId=SIMULATED_INSTANCE_ID, MaxResults=3)
    [request] = sent
    time.sleep(1.1)  # later than the same request made twice at once
    again = urllib3.PoolManager().request(
        request.method, request.url, body=request.body, headers=dict(request.headers)
    )
    assert again.status == 403
    assert again.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "already used" in json.loads(again.data)["message"]


def test_no_signature_at_all(dropin: DropIn) -> None:
    answer = urllib3.PoolManager().request(
        "GET", f"{dropin.endpoint}/routing-profiles-summary/{SIMULATED_INSTANCE_ID}"
    )
    assert answer.status == 403
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert json.loads(answer.data) == {"message": "Missing Authentication Token"}


# -- retries ---------------------------------------------------------------------------


def test_a_refusal_of_the_governor_is_throttling_that_boto3_retries(
    dropin: DropIn, redis_server: RedisServer
) -> None:
    # A request not asked before (so not in the cache), with the account's quota spent
    # ahead for about two seconds: the governor refuses rather than wait that long.
    request = by_queue(dropin, "AGENTS_ERROR")
    quota = RedisGovernor(redis.Redis.from_url(redis_server.url))
    for _ in range(18):
        quota.reserve("simulated-7:eu-west-2", GET_CURRENT_METRIC_DATA)
    counted: list[int] = []
    client = dropin.client(attempts=2)
    client.meta.events.register("before-send.connect", lambda **_: counted.append(1))
    status, code, _ = aws_error(lambda: client.get_current_metric_data(**request))
    assert (status, code, len(counted)) == (429, "ThrottlingException", 2)
    patient = dropin.client(attempts=10)
    answer = patient.get_current_metric_data(**request)
    assert answer["ResponseMetadata"]["RetryAttempts"] >= 1
    assert answer["MetricResults"]


# -- the AWS CLI -----------------------------------------------------------------------


def cli_metrics_args(dropin: DropIn, *extra: str) -> list[str]:
    return [
        "connect",
        "get-current-metric-data",
        "--instance-id",
        SIMULATED_INSTANCE_ID,
        "--filters",
        json.dumps({"Queues": dropin.queues, "Channels": ["VOICE", "CHAT", "TASK"]}),
        "--groupings",
        "QUEUE",
        "--current-metrics",
        json.dumps(metrics("AGENTS_ONLINE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE")),
        *extra,
    ]


def test_the_aws_cli_reads_the_cache(dropin: DropIn) -> None:
    done = dropin.cli(*cli_metrics_args(dropin))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    # The CLI (v1) prints timestamps as they came on the wire: epoch seconds.
    moment = datetime.fromtimestamp(answer.pop("DataSnapshotTime"), UTC)
    direct = without_metadata(
        simulator_at(moment).get_current_metric_data(
            **by_queue(dropin, "AGENTS_ONLINE", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE")
        )
    )
    direct.pop("DataSnapshotTime")
    assert answer == direct
    queues = dropin.cli(
        "connect",
        "list-queues",
        "--instance-id",
        SIMULATED_INSTANCE_ID,
        "--queue-types",
        "STANDARD",
        "--page-size",
        "6",
    )
    assert queues.returncode == 0, queues.stderr
    assert sorted(q["Id"] for q in json.loads(queues.stdout)["QueueSummaryList"]) == dropin.queues
    profiles = dropin.cli(
        "connect", "list-routing-profiles", "--instance-id", SIMULATED_INSTANCE_ID
    )
    assert profiles.returncode == 0, profiles.stderr
    assert len(json.loads(profiles.stdout)["RoutingProfileSummaryList"]) == 3


@pytest.mark.parametrize(
    ("key", "env", "expected"),
    [
        ("unknown", {}, "UnrecognizedClientException"),
        ("revoked", {}, "UnrecognizedClientException"),
        ("wrong secret", {}, "InvalidSignatureException"),
        ("valid", {"TAMPER_BODY": '"QUEUE"=>"QUEUA"'}, "InvalidSignatureException"),
        ("valid", {"SKEW_SECONDS": "-600"}, "Signature expired"),
    ],
)
def test_the_aws_cli_refused(dropin: DropIn, key: str, env: dict[str, str], expected: str) -> None:
    for args in (
        cli_metrics_args(dropin),
        ["connect", "list-queues", "--instance-id", SIMULATED_INSTANCE_ID],
        ["connect", "list-routing-profiles", "--instance-id", SIMULATED_INSTANCE_ID],
    ):
        if "TAMPER_BODY" in env and args[1] != "get-current-metric-data":
            continue
        done = dropin.cli(*args, key=key, wrapper=True, **env)
        assert done.returncode != 0
        assert expected in done.stderr, done.stderr


def test_a_database_dump_holds_no_usable_secret(dropin: DropIn) -> None:
    dump = dropin.stack.manage("dumpdata", "connectmetrics.awsaccesskey").stdout
    key_id, secret = dropin.keys["valid"]
    assert key_id in dump
    assert secret not in dump
