"""What the simulated centre's tests share: its moments, a clock the test moves, and
reading answers (tests/unit/simulator/, tests/integration/test_simulator_processes.py)."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from connectmetrics.connectapi import catalogue
from connectmetrics.simulator import SimulatedCentre
from tests.rule_cases import INSTANCE

IID = catalogue.SIMULATED_INSTANCE_ID
DAY0 = 1_767_052_800.0  # Tuesday 30 December 2025, 00:00 UTC
MORNING = DAY0 + 10.5 * 3600
NIGHT = DAY0 + 3 * 3600
ALL_METRICS = [{"Name": n, "Unit": str(m.unit)} for n, m in catalogue.METRICS.items()]
GET = "GetCurrentMetricData"
UNKNOWN = "4d3c2b1a-0000-4000-8000-00000000beef"
FAILED = {"MISSED", "REJECTED", "ERROR"}
ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def standard_ids(centre: SimulatedCentre) -> list[str]:
    return [q.id for q in centre.topology.queues if q.queue_type == "STANDARD"]


def values(result: dict[str, Any]) -> dict[str, float | None]:
    return {c["Metric"]["Name"]: c.get("Value") for c in result["Collections"]}


def queue_of(result: dict[str, Any]) -> str:
    return str(result["Dimensions"]["Queue"]["Id"])


def pages(
    client: BaseClient, between: Callable[[], None] = lambda: None, **params: Any
) -> list[dict[str, Any]]:
    answers = [client.get_current_metric_data(InstanceId=IID, **params)]
    while "NextToken" in answers[-1]:
        between()
        answers.append(
            client.get_current_metric_data(
                InstanceId=IID, NextToken=answers[-1]["NextToken"], **params
            )
        )
    return answers


def send_raw(client: BaseClient, body: Any, instance_id: str = IID) -> dict[str, Any]:
    """GetCurrentMetricData with exactly this JSON body, through botocore all the same."""

    def replace(request: AWSRequest, **_: Any) -> None:
        request.data = json.dumps(body).encode()

    event = f"before-sign.connect.{GET}"
    client.meta.events.register(event, replace, unique_id="raw-body")
    try:
        return dict(
            client.get_current_metric_data(InstanceId=instance_id, Filters={}, CurrentMetrics=[])
        )
    finally:
        client.meta.events.unregister(event, unique_id="raw-body")


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def check_row_invariants(row: dict[str, float | None]) -> None:
    """The numbers of one row agree with each other (for the metrics the row has)."""
    for name, value in row.items():
        assert value is None or value >= 0, (name, value)
        if value is not None and catalogue.METRICS[name].unit == catalogue.Unit.COUNT:
            assert value == int(value)

    def known(*names: str) -> bool:
        return all(row.get(name) is not None for name in names)

    states = (
        "AGENTS_AVAILABLE",
        "AGENTS_ON_CONTACT",
        "AGENTS_AFTER_CONTACT_WORK",
        "AGENTS_NON_PRODUCTIVE",
        "AGENTS_ERROR",
    )
    for state in (*states, "AGENTS_STAFFED", "AGENTS_ON_CALL"):
        if known("AGENTS_ONLINE", state):
            assert row["AGENTS_ONLINE"] >= row[state]  # type: ignore[operator]
    if known("AGENTS_ONLINE", *states):
        # Every agent online is in exactly one of the five states.
        assert row["AGENTS_ONLINE"] == sum(row[s] or 0 for s in states)
    if known("AGENTS_STAFFED", *states[:3]):
        assert row["AGENTS_STAFFED"] == sum(row[s] or 0 for s in states[:3])
    if known("AGENTS_ON_CALL", "AGENTS_ON_CONTACT"):
        assert row["AGENTS_ON_CALL"] == row["AGENTS_ON_CONTACT"]
    if row.get("CONTACTS_IN_QUEUE") == 0 and "OLDEST_CONTACT_AGE" in row:
        assert row["OLDEST_CONTACT_AGE"] == 0


def run_python(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a new Python process at the repository's root; its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def all_user_data(client: BaseClient, clock: Clock | None = None, **params: Any) -> list[Any]:
    """Every page of GetCurrentUserData (the clock moved on between pages, if given)."""
    answers = [client.get_current_user_data(InstanceId=IID, **params)]
    while "NextToken" in answers[-1]:
        if clock is not None:
            clock.now += 7
        answers.append(
            client.get_current_user_data(
                InstanceId=IID, NextToken=answers[-1]["NextToken"], **params
            )
        )
    total = answers[0]["ApproximateTotalCount"]
    found = [user for answer in answers for user in answer["UserDataList"]]
    assert len(found) == total
    return found


def activity(user: dict[str, Any]) -> str:
    """The console's activity: Error/Missed/Rejected, on contact, after contact work,
    incoming, a custom status, else Available."""
    states = {contact["AgentContactState"] for contact in user["Contacts"]}
    if states & FAILED:
        return "error"
    if states & {"CONNECTED", "CONNECTED_ONHOLD"}:
        return "on contact"
    if "ENDED" in states:
        return "after contact work"
    if states:
        return "incoming"
    return "available" if user["Status"]["StatusName"] == "Available" else "custom"


def one_call(client: BaseClient) -> dict[str, Any]:
    return dict(
        client.get_current_metric_data(
            InstanceId=IID, Filters={"Queues": [INSTANCE]}, CurrentMetrics=ALL_METRICS[:1]
        )
    )
