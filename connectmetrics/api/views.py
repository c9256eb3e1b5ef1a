"""POST /metrics/current/<InstanceId>: GetCurrentMetricData's request, answered from the cache.

The order of the checks is what a caller is told first: the method, who is
asking, which instance, whether they may read it, then the body. Every answer
is the JSON envelope, whatever went wrong.
"""

import json
import logging
from typing import Any, NoReturn
from urllib.parse import unquote

import redis
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from connectmetrics import rules
from connectmetrics.api import cache, pagination
from connectmetrics.api.auth import authenticate, authorise
from connectmetrics.api.derive import derive
from connectmetrics.api.envelope import MEANINGS, STATUS, ApiError, ErrorCode, failure, success
from connectmetrics.api.openapi import document
from connectmetrics.api.store import Snapshot
from connectmetrics.catalogue import MAX_RESULTS, METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.client import MetricRow
from connectmetrics.message_builder import iso
from connectmetrics.models import ConnectInstance

log = logging.getLogger(__name__)


@csrf_exempt
def current_metrics(request: HttpRequest, instance_ref: str) -> HttpResponse:
    try:
        return success(_answer(request, instance_ref))
    except ApiError as error:
        return failure(error)
    except redis.RedisError:
        log.warning("Redis refused the metrics endpoint", exc_info=True)
        return failure(
            ApiError(
                ErrorCode.UNAVAILABLE,
                "The shared metrics cache (Redis) is not answering; retry in a few seconds.",
            )
        )


def _answer(request: HttpRequest, instance_ref: str) -> dict[str, Any]:
    if request.method != "POST":
        raise ApiError(
            ErrorCode.METHOD_NOT_ALLOWED,
            f"{request.method} is not answered here: POST GetCurrentMetricData's parameters "
            "as a JSON object.",
        )
    caller = authenticate(request)
    instance = find_instance(instance_ref)
    authorise(caller, instance)
    body = _json_body(request)
    canonical = _canonical(body, instance)
    request_key = rules.request_key(canonical)
    next_token = body.get("NextToken")
    if next_token:
        position = pagination.read(next_token, instance_pk=instance.pk, request_key=request_key)
        snapshot = cache.snapshot(position.snapshot_id)
        offset = position.offset
    else:
        snapshot = cache.answer(instance, canonical)
        offset = 0
    asked_order = [metric["Name"] for metric in body["CurrentMetrics"]]
    rows = None
    if snapshot is not None:
        rows = derive(
            canonical, snapshot.canonical, snapshot.metrics, snapshot.rows, metric_order=asked_order
        )
    if snapshot is None or rows is None:
        # Only a walk can get here: its snapshot outlived the pin (Redis evicted it).
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            "NextToken: the snapshot it pages through is no longer kept; start again without it.",
        )
    return _page(instance, request_key, snapshot, rows, offset, body.get("MaxResults"))


def _page(
    instance: ConnectInstance,
    request_key: str,
    snapshot: Snapshot,
    rows: list[MetricRow],
    offset: int,
    max_results: int | None,
) -> dict[str, Any]:
    size = max_results or MAX_RESULTS
    end = offset + size
    next_token = None
    if end < len(rows):
        next_token = pagination.issue(
            instance_pk=instance.pk, request_key=request_key, snapshot_id=snapshot.id, offset=end
        )
        cache.pin(snapshot)
    return {
        "MetricResults": [_metric_result(row) for row in rows[offset:end]],
        "NextToken": next_token,
        "DataSnapshotTime": iso(snapshot.data_snapshot_time),
        "ApproximateTotalCount": len(rows),
    }


def _metric_result(row: MetricRow) -> dict[str, Any]:
    return {
        "Dimensions": row.dimensions,
        "Collections": [
            {"Metric": {"Name": name, "Unit": str(METRICS[name].unit)}, "Value": value}
            for name, value in row.values.items()
        ],
    }


def find_instance(instance_ref: str) -> ConnectInstance:
    """The configured instance named by its ID or ARN (URL-encoded or not) in the URL."""
    text = unquote(instance_ref).strip("/")
    try:
        instance_id, arn = rules.parse_instance(text)
    except ValueError as error:
        raise ApiError(ErrorCode.NOT_FOUND, f"InstanceId: {error}") from None
    candidates = ConnectInstance.objects.filter(instance_id=instance_id)
    if arn is not None:
        candidates = candidates.filter(Q(instance_arn="") | Q(instance_arn=arn))
    instance = candidates.order_by("pk").first()
    if instance is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No Connect instance {text} is configured here.")
    if not instance.enabled:
        raise ApiError(ErrorCode.NOT_FOUND, f"The Connect instance {text} is disabled by an admin.")
    return instance


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _json_body(request: HttpRequest) -> Any:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"Request body: is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        ) from None
    if not raw.strip():
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            "Request body: is empty; send GetCurrentMetricData's parameters as a JSON object.",
        )
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR, "Request body: is nested too deeply to be a request."
        ) from None
    except ValueError as error:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR, f"Request body: is not valid JSON ({error})."
        ) from None


def _canonical(body: Any, instance: ConnectInstance) -> dict[str, Any]:
    """The canonical request, or a VALIDATION_ERROR naming every broken rule."""
    try:
        canonical = rules.canonical_request(body)
    except rules.RequestInvalid as invalid:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR, "; ".join(v.message for v in invalid.violations)
        ) from None
    if body.get("InstanceId") is not None:
        given, _ = rules.parse_instance(body["InstanceId"])
        if given != instance.instance_id:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"InstanceId: {given} in the body is not the instance in the URL "
                f"({instance.instance_id}).",
            )
    return canonical


@require_GET
def openapi_document(request: HttpRequest) -> HttpResponse:
    text = json.dumps(document(request.build_absolute_uri("/")), indent=2)
    return HttpResponse(text, content_type="application/json")


@require_GET
def docs_page(request: HttpRequest) -> HttpResponse:
    # Staff see the examples filled in with a configured instance; anyone else
    # sees the demo's simulated one, learning nothing about this centre.
    instance = None
    if request.user.is_staff:
        instance = ConnectInstance.objects.filter(enabled=True).order_by("pk").first()
    queue_ids = list(instance.queues.values_list("queue_id", flat=True)[:3]) if instance else []
    context = {
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        "queues_json": json.dumps(queue_ids) if queue_ids else "",
        "instance_id": instance.instance_id if instance else SIMULATED_INSTANCE_ID,
        "instance_name": instance.name if instance else "",
        "codes": [(code.value, STATUS[code], MEANINGS[code]) for code in ErrorCode],
        "metrics": list(METRICS.values()),
        "max_results": MAX_RESULTS,
    }
    return render(request, "api_docs.html", context)
