"""Helpers shared by the metrics endpoint's tests (their fixtures: tests.api_fixtures)."""

import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.utils import timezone

from connectmetrics.api.cache import remember_poll
from connectmetrics.client.client import FetchResult, MetricRow
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance
from connectmetrics.simulator import call_counts


def simulated_centre() -> ConnectInstance:
    """The demo's simulated centre (seed 7, 20 queues), its queues discovered."""
    instance = ConnectInstance.objects.create(
        name="Simulated centre",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
        simulator_seed=7,
        simulator_queues=20,
        poll_interval=5,
    )
    discover(instance)
    return instance


def upstream_calls(redis_url: str) -> int:
    """GetCurrentMetricData calls the simulated centre received (every attempt)."""
    return call_counts(redis_url, SIMULATED_INSTANCE_ID).get("GetCurrentMetricData", 0)


def metrics(*names: str) -> list[dict[str, str]]:
    from connectmetrics.connectapi.catalogue import METRICS

    return [{"Name": name, "Unit": str(METRICS[name].unit)} for name in names]


def queue_body(queue_ids: list[str], *names: str, **extra: Any) -> dict[str, Any]:
    """A request grouped by QUEUE over these queues on VOICE, CHAT and TASK."""
    return {
        "Filters": {"Queues": list(queue_ids), "Channels": ["VOICE", "CHAT", "TASK"]},
        "Groupings": ["QUEUE"],
        "CurrentMetrics": metrics(*(names or ("AGENTS_ONLINE", "CONTACTS_IN_QUEUE"))),
        **extra,
    }


def post(
    client: Client,
    instance_ref: str,
    body: Any,
    *,
    token: str | None = None,
    raw: bytes | str | None = None,
) -> Any:
    """POST a body (JSON-encoded unless `raw` is given) to the endpoint."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    data = raw if raw is not None else json.dumps(body)
    return client.post(
        f"/metrics/current/{instance_ref}", data, content_type="application/json", **headers
    )


def error_of(response: Any) -> tuple[int, str, str]:
    """(status, code, message) of an error envelope, checking its shape on the way."""
    payload = response.json()
    assert payload["success"] is False
    assert set(payload) == {"success", "error"}
    assert set(payload["error"]) == {"code", "message"}
    return response.status_code, payload["error"]["code"], payload["error"]["message"]


def rows_of(response: Any) -> list[tuple[str, dict[str, float | None]]]:
    """(queue ID, {metric: value}) of each MetricResult of a success envelope."""
    payload = response.json()
    assert payload["success"] is True, payload
    return [
        (
            result["Dimensions"].get("Queue", {}).get("Id", ""),
            {c["Metric"]["Name"]: c["Value"] for c in result["Collections"]},
        )
        for result in payload["data"]["MetricResults"]
    ]


def feed_poll(
    instance: ConnectInstance,
    request: Mapping[str, Any],
    values: Mapping[str, Mapping[str, float | None]],
    *,
    age: float = 0.0,
    snapshot_time: datetime | None = None,
) -> dict[str, Any]:
    """Hand the cache a poll of `request` with `values` per queue ID; the canonical request."""
    canonical = rules.canonical_request(request)
    fetched_at = timezone.now() - timedelta(seconds=age)
    rows = [
        MetricRow(f"QUEUE={queue_id}", {"Queue": {"Id": queue_id, "Arn": ""}}, dict(row))
        for queue_id, row in values.items()
    ]
    result = FetchResult(
        rows=rows,
        data_snapshot_time=snapshot_time or fetched_at,
        approximate_total=len(rows),
        calls=1,
        metrics=[m["Name"] for m in canonical["CurrentMetrics"]],
    )
    remember_poll(instance, canonical, result, fetched_at)
    return canonical


def run_together(count: int, call: Callable[[], Any]) -> list[Any]:
    """`call` in `count` threads released at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def caller(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
