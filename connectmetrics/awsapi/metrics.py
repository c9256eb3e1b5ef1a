"""GetCurrentMetricData (`POST /metrics/current/{InstanceId}`) as Amazon Connect answers it.

The rows come from the cache path the seed's endpoint uses (api/answers.py);
what differs is how the page is written, which here is AWS's:

- no envelope; `NextToken` only when there is a next page;
- OLDEST_CONTACT_AGE in milliseconds when there are no Groupings (AWS's quirk:
  its Unit still says SECONDS), in seconds with Groupings;
- queues with no contacts and no agents online left out (the wallboard's rows
  of zeros are not sent), a Value that could not be calculated left out;
- DataSnapshotTime in epoch seconds, as REST-JSON timestamps are.
"""

import json
from typing import Any

from connectmetrics.api.answers import Page, answer_page, rendered
from connectmetrics.awsapi.errors import INVALID_REQUEST, AwsError
from connectmetrics.client.client import MetricRow
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import METRICS
from connectmetrics.models import ConnectInstance

_OLDEST = "OLDEST_CONTACT_AGE"


def json_body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise AwsError(INVALID_REQUEST, "The request body is not valid JSON.") from None


def _as_sent(name: str, value: float, grouped: bool) -> float:
    if name == _OLDEST and not grouped:
        # The cache keeps seconds; AWS sends milliseconds here (whole ones).
        return round(value * 1000.0, 3)
    return value


def _result(row: MetricRow, units: dict[str, str], grouped: bool) -> dict[str, Any]:
    return {
        "Dimensions": row.dimensions,
        "Collections": [
            {"Metric": {"Name": name, "Unit": units[name]}}
            if value is None
            else {
                "Metric": {"Name": name, "Unit": units[name]},
                "Value": _as_sent(name, value, grouped),
            }
            for name, value in row.values.items()
        ],
    }


def get_current_metric_data(instance: ConnectInstance, instance_ref: str, raw: bytes) -> bytes:
    body = json_body(raw)
    # InstanceId travels in the path, as botocore sends it; the rules see it there.
    request = {**body, "InstanceId": instance_ref} if isinstance(body, dict) else body
    try:
        canonical = rules.canonical_request(request)
    except rules.RequestInvalid as invalid:
        first = invalid.violations[0]
        raise AwsError(first.error, "; ".join(v.message for v in invalid.violations)) from None
    page = answer_page(
        instance,
        canonical,
        next_token=request.get("NextToken"),
        max_results=request.get("MaxResults"),
        metric_order=[metric["Name"] for metric in request["CurrentMetrics"]],
        idle_queues=False,
        token_scope="aws",
    )
    answer = [b'{"MetricResults":', rendered(page, _results)]
    answer += [b',"ApproximateTotalCount":', str(page.total).encode()]
    if page.next_token:
        answer += [b',"NextToken":', json.dumps(page.next_token).encode()]
    if page.snapshot.data_snapshot_time is not None:
        moment = page.snapshot.data_snapshot_time.timestamp()
        answer += [b',"DataSnapshotTime":', json.dumps(moment).encode()]
    return b"".join([*answer, b"}"])


_UNITS = {name: str(metric.unit) for name, metric in METRICS.items()}


def _results(page: Page) -> bytes:
    grouped = bool(page.snapshot.canonical["Groupings"])
    results = [_result(row, _UNITS, grouped) for row in page.rows]
    return json.dumps(results, separators=(",", ":")).encode()
