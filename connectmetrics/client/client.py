"""Talk to Amazon Connect (or the simulated centre) for one ConnectInstance.

One boto3 client per instance and process, reused; botocore's "standard"
retries and explicit timeouts. Every failure comes out as an UpstreamError.
"""

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from django.conf import settings

from connectmetrics.client import telemetry
from connectmetrics.client.governor import pace_client
from connectmetrics.client.outcomes import UpstreamError, classify
from connectmetrics.connectapi.catalogue import DIMENSION_FIELDS, MAX_RESULTS, Grouping
from connectmetrics.models import AccessMode, ConnectInstance

if TYPE_CHECKING:
    from mypy_boto3_connect import ConnectClient

_clients: dict[tuple[Any, ...], "ConnectClient"] = {}
_clients_lock = threading.Lock()


@dataclass(frozen=True)
class MetricRow:
    """One row of a GetCurrentMetricData answer: a dimension and its values."""

    key: str
    dimensions: dict[str, Any]
    values: dict[str, float | None]
    # A row of zeros for a configured queue the answer left out (see _idle_rows),
    # not a row Amazon Connect gave.
    filled: bool = False


@dataclass
class FetchResult:
    rows: list[MetricRow]
    data_snapshot_time: datetime | None
    approximate_total: int | None
    calls: int = 0
    metrics: list[str] = field(default_factory=list)


def _config() -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": settings.CONNECT_MAX_ATTEMPTS},
        connect_timeout=settings.CONNECT_CONNECT_TIMEOUT,
        read_timeout=settings.CONNECT_READ_TIMEOUT,
        user_agent_appid="connect-wallboard",  # type: ignore[call-arg]  # stubs lag botocore
    )


def _client_key(instance: ConnectInstance) -> tuple[Any, ...]:
    # An edit in the admin gives a new client, an unchanged instance reuses its client.
    return (instance.pk, *instance.connection_identity())


def _build_client(instance: ConnectInstance) -> "ConnectClient":
    if instance.access_mode == AccessMode.SIMULATED:
        from connectmetrics.simulator import simulated_client

        return simulated_client(
            seed=instance.simulator_seed,
            instance_id=instance.instance_id,
            queues=instance.simulator_queues,
            agents=instance.simulator_agents,
            region=instance.region,
            config=_config(),
        )
    session = boto3.session.Session(region_name=instance.region)
    if instance.access_mode == AccessMode.ASSUME_ROLE:
        session = _assumed_role_session(instance)
    return session.client("connect", config=_config())


def _assumed_role_session(instance: ConnectInstance) -> boto3.session.Session:
    """A session whose credentials refresh themselves by assuming the role again."""
    from botocore.credentials import DeferredRefreshableCredentials, create_assume_role_refresher
    from botocore.session import get_session

    sts = boto3.session.Session(region_name=instance.region).client("sts", config=_config())
    params: dict[str, Any] = {
        "RoleArn": instance.role_arn,
        "RoleSessionName": "connect-wallboard",
    }
    if instance.external_id:
        params["ExternalId"] = instance.external_id
    credentials = DeferredRefreshableCredentials(
        refresh_using=create_assume_role_refresher(sts, params), method="assume-role"
    )
    core = get_session()
    # botocore's own way to give a session refreshable credentials: no public setter.
    core._credentials = credentials  # type: ignore[attr-defined]
    core.set_config_variable("region", instance.region)
    return boto3.session.Session(botocore_session=core)


def client_for(instance: ConnectInstance) -> "ConnectClient":
    key = _client_key(instance)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            for stale in [k for k in _clients if k[0] == instance.pk]:
                del _clients[stale]
            try:
                client = _build_client(instance)
            except Exception as error:
                raise classify(error) from error
            # Every call this client makes (polls, retries, the admin's checks)
            # spends the account's shared quota, so every call is governed.
            pace_client(client, instance.quota_key)
            telemetry.watch_client(client, instance.pk)
            _clients[key] = client
        return client


def row_key(dimensions: dict[str, Any], groupings: Sequence[str]) -> str:
    """A stable key for a row: its grouping values in grouping order, or ALL."""
    if not groupings:
        return "ALL"
    parts = []
    for grouping in groupings:
        value = dimensions.get(DIMENSION_FIELDS[grouping])
        if isinstance(value, dict):
            value = value.get("Id") or value.get("Arn") or ""
        parts.append(f"{grouping}={value or ''}")
    return "|".join(parts)


def _values(collections: Iterable[Mapping[str, Any]], grouped: bool) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    for item in collections:
        name = item["Metric"]["Name"]
        value = item.get("Value")
        if value is not None and name == "OLDEST_CONTACT_AGE" and not grouped:
            # AWS quirk: with no Groupings the Unit says SECONDS but the Value
            # is in milliseconds.
            value = value / 1000.0
        values[name] = None if value is None else float(value)
    return values


def _idle_rows(
    request: dict[str, Any], seen: set[str], expected_queue_ids: Sequence[str]
) -> list[MetricRow]:
    """Rows of zeros for configured queues the answer left out.

    GetCurrentMetricData omits queues with no contacts and no agents online;
    a wallboard must show them as zero, not make them vanish.
    """
    groupings = list(request.get("Groupings") or [])
    if not groupings or groupings[0] != Grouping.QUEUE or not expected_queue_ids:
        return []
    metrics = [m["Name"] for m in request["CurrentMetrics"]]
    # The estimated wait of an idle queue is not known: unknown is not zero.
    zeros: dict[str, float | None] = {
        m: (None if m == "ESTIMATED_WAIT_TIME" else 0.0) for m in metrics
    }
    seconds: list[str | None] = [None]
    if len(groupings) > 1 and groupings[1] == Grouping.CHANNEL:
        seconds = list(request.get("Filters", {}).get("Channels") or [])
    elif len(groupings) > 1:
        # Other second groupings have no fixed set of values to fill in.
        return []
    rows = []
    for queue_id in expected_queue_ids:
        for channel in seconds:
            dimensions: dict[str, Any] = {"Queue": {"Id": queue_id}}
            if channel is not None:
                dimensions["Channel"] = channel
            key = row_key(dimensions, groupings)
            if key not in seen:
                rows.append(
                    MetricRow(key=key, dimensions=dimensions, values=dict(zeros), filled=True)
                )
    return rows


def fetch_current_metrics(
    instance: ConnectInstance,
    request: dict[str, Any],
    *,
    expected_queue_ids: Sequence[str] = (),
) -> FetchResult:
    """Fetch every page of one GetCurrentMetricData request and merge them."""
    client = client_for(instance)
    groupings = list(request.get("Groupings") or [])
    params = {**request, "InstanceId": instance.instance_id, "MaxResults": MAX_RESULTS}
    params.pop("NextToken", None)
    rows: list[MetricRow] = []
    seen: set[str] = set()
    snapshot_time: datetime | None = None
    total: int | None = None
    calls = 0
    while True:
        try:
            answer = client.get_current_metric_data(**params)
        except Exception as error:
            raise classify(error) from error
        calls += 1
        snapshot_time = snapshot_time or answer.get("DataSnapshotTime")
        total = answer.get("ApproximateTotalCount", total)
        for result in answer.get("MetricResults", []):
            dimensions: dict[str, Any] = dict(result.get("Dimensions") or {})
            key = row_key(dimensions, groupings)
            if key in seen:
                continue
            seen.add(key)
            values = _values(result.get("Collections", []), grouped=bool(groupings))
            rows.append(MetricRow(key=key, dimensions=dimensions, values=values))
        token = answer.get("NextToken")
        if not token:
            break
        params["NextToken"] = token
    rows.extend(_idle_rows(request, seen, expected_queue_ids))
    return FetchResult(
        rows=rows,
        data_snapshot_time=snapshot_time,
        approximate_total=total,
        calls=calls,
        metrics=[m["Name"] for m in request["CurrentMetrics"]],
    )


@dataclass(frozen=True)
class QueueSummary:
    id: str
    arn: str
    name: str
    queue_type: str


@dataclass(frozen=True)
class RoutingProfileSummary:
    id: str
    arn: str
    name: str


def list_queues(instance: ConnectInstance) -> list[QueueSummary]:
    client = client_for(instance)
    try:
        pages = client.get_paginator("list_queues").paginate(
            InstanceId=instance.instance_id,
            QueueTypes=["STANDARD"],
            PaginationConfig={"PageSize": 1000},
        )
        return [
            QueueSummary(q["Id"], q.get("Arn", ""), q.get("Name", q["Id"]), q.get("QueueType", ""))
            for page in pages
            for q in page.get("QueueSummaryList", [])
        ]
    except UpstreamError:
        raise
    except Exception as error:
        raise classify(error) from error


def list_routing_profiles(instance: ConnectInstance) -> list[RoutingProfileSummary]:
    client = client_for(instance)
    try:
        pages = client.get_paginator("list_routing_profiles").paginate(
            InstanceId=instance.instance_id, PaginationConfig={"PageSize": 1000}
        )
        return [
            RoutingProfileSummary(p["Id"], p.get("Arn", ""), p.get("Name", p["Id"]))
            for page in pages
            for p in page.get("RoutingProfileSummaryList", [])
        ]
    except Exception as error:
        raise classify(error) from error
