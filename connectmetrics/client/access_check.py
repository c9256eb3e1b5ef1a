"""Check, call by call, that an instance can be polled, and say what is missing."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectmetrics.client.client import client_for
from connectmetrics.client.outcomes import Outcome, UpstreamError, classify
from connectmetrics.connectapi.regions import connect_regions
from connectmetrics.models import AccessMode, ConnectInstance


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str
    permission: str = ""
    # Why a call failed: only ACCESS_DENIED means the permission is missing.
    outcome: Outcome | None = None

    @property
    def denied(self) -> bool:
        return self.outcome is Outcome.ACCESS_DENIED and bool(self.permission)


def _call(name: str, permission: str, call: Callable[[], Any]) -> Step:
    try:
        call()
    except Exception as exc:
        error: UpstreamError = classify(exc)
        if error.outcome is Outcome.ACCESS_DENIED:
            detail = f"denied: {permission} is not allowed ({error.error_class}: {error.message})"
        else:
            detail = error.description
        return Step(name, False, detail, permission, error.outcome)
    return Step(name, True, "allowed", permission)


def check_access(instance: ConnectInstance) -> list[Step]:
    steps: list[Step] = []
    if instance.region not in connect_regions():
        return [Step("Region", False, f"{instance.region} has no Amazon Connect")]
    steps.append(Step("Region", True, f"{instance.region} has Amazon Connect"))
    if instance.access_mode != AccessMode.SIMULATED:
        steps.append(_credentials_step(instance))
        if not steps[-1].ok:
            return steps
    try:
        connect = client_for(instance)
    except UpstreamError as error:
        return [*steps, Step("Client", False, error.description)]
    listing = _call(
        "Instance and ListQueues",
        "connect:ListQueues",
        lambda: connect.list_queues(InstanceId=instance.instance_id, MaxResults=1),
    )
    steps.append(listing)
    steps.append(
        _call(
            "ListRoutingProfiles",
            "connect:ListRoutingProfiles",
            lambda: connect.list_routing_profiles(InstanceId=instance.instance_id, MaxResults=1),
        )
    )
    queue = instance.queues.first()
    queue_ids = [queue.queue_id] if queue else _first_queue_id(connect, instance)
    if queue_ids:
        steps.append(
            _call(
                "GetCurrentMetricData",
                "connect:GetCurrentMetricData",
                lambda: connect.get_current_metric_data(
                    InstanceId=instance.instance_id,
                    Filters={"Queues": queue_ids},
                    CurrentMetrics=[{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
                ),
            )
        )
    else:
        steps.append(
            Step(
                "GetCurrentMetricData",
                False,
                "not checked: no queue is known (run discovery first)",
                "connect:GetCurrentMetricData",
            )
        )
    return steps


def _first_queue_id(connect: Any, instance: ConnectInstance) -> list[str]:
    try:
        answer = connect.list_queues(
            InstanceId=instance.instance_id, QueueTypes=["STANDARD"], MaxResults=1
        )
    except Exception:
        return []
    return [q["Id"] for q in answer.get("QueueSummaryList", [])[:1]]


def _credentials_step(instance: ConnectInstance) -> Step:
    import boto3

    from connectmetrics.client.client import _assumed_role_session

    try:
        session = (
            _assumed_role_session(instance)
            if instance.access_mode == AccessMode.ASSUME_ROLE
            else boto3.session.Session(region_name=instance.region)
        )
        identity = session.client("sts").get_caller_identity()
    except Exception as exc:
        error = classify(exc)
        return Step("Credentials", False, f"no usable AWS credentials: {error.description}")
    return Step("Credentials", True, f"acting as {identity.get('Arn', 'unknown')}")
