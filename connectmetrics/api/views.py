"""The envelope endpoints: Connect's reads answered from the cache, in the JSON envelope.

- POST /metrics/current/<InstanceId>: GetCurrentMetricData's request (answers.py);
- POST /metrics/userdata/<InstanceId>: GetCurrentUserData's (records.py, agents/operation.py);
- POST /metrics/data/<InstanceId>: GetMetricDataV2's (records.py, metric_data.py).

The order of the checks is what a caller is told first: the method, who is
asking, which instance, whether they may read it, then the body. Every answer
is the JSON envelope, whatever went wrong.
"""

import json
import logging
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import unquote

import redis
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from connectmetrics.api import records
from connectmetrics.api.answers import Page, answer_page, rendered
from connectmetrics.api.auth import authenticate, authorise
from connectmetrics.api.envelope import (
    MEANINGS,
    STATUS,
    ApiError,
    ErrorCode,
    dumps,
    failure,
    success_json,
)
from connectmetrics.api.openapi import document
from connectmetrics.api.records import Operation
from connectmetrics.api.records import answer_page as answer_records
from connectmetrics.api.wire import with_iso_times
from connectmetrics.client.client import MetricRow
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA, GET_METRIC_DATA_V2
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import MAX_RESULTS, METRICS, SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from connectmetrics.models.access_memo import remembered
from connectmetrics.simulator.errors import ApiError as RuleBroken
from connectmetrics.wire.message_builder import iso

log = logging.getLogger(__name__)


# The views answering in the envelope (bad_request answers their refusals in it too).
ENDPOINT_VIEWS = frozenset({"api:current-metrics", "api:user-data", "api:metric-data"})


def _enveloped(
    answer: Callable[[HttpRequest, str], bytes], request: HttpRequest, instance_ref: str
) -> HttpResponse:
    try:
        return success_json(answer(request, instance_ref))
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


@csrf_exempt
def current_metrics(request: HttpRequest, instance_ref: str) -> HttpResponse:
    return _enveloped(_answer, request, instance_ref)


@csrf_exempt
def user_data(request: HttpRequest, instance_ref: str) -> HttpResponse:
    return _enveloped(
        lambda r, ref: _records(r, ref, records.operation(GET_CURRENT_USER_DATA)),
        request,
        instance_ref,
    )


@csrf_exempt
def metric_data(request: HttpRequest, instance_ref: str) -> HttpResponse:
    return _enveloped(
        lambda r, ref: _records(r, ref, records.operation(GET_METRIC_DATA_V2)),
        request,
        instance_ref,
    )


def _readable_instance(request: HttpRequest, instance_ref: str, operation: str) -> ConnectInstance:
    """The instance in the URL, once the method, the caller and its access are checked."""
    if request.method != "POST":
        raise ApiError(
            ErrorCode.METHOD_NOT_ALLOWED,
            f"{request.method} is not answered here: POST {operation}'s parameters "
            "as a JSON object.",
        )
    caller = authenticate(request)
    instance, arn = remembered(("instance", instance_ref), lambda: find_instance(instance_ref))
    authorise(caller, instance)
    if arn is not None and (why := rules.arn_mismatch(arn, place_of(instance))) is not None:
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"InstanceId: {why}.")
    return instance


def _records(request: HttpRequest, instance_ref: str, operation: Operation) -> bytes:
    instance = _readable_instance(request, instance_ref, operation.name)
    body = _json_body(request, operation.name)
    try:
        asked = operation.ask(instance, body)
    except RuleBroken as broken:
        raise ApiError(ErrorCode.VALIDATION_ERROR, broken.message) from None
    if body.get("InstanceId") is not None:
        _check_body_instance(body["InstanceId"], instance)
    page = answer_records(instance, operation, asked)
    data: dict[str, Any] = {
        operation.results: with_iso_times(page.records),
        "NextToken": page.next_token,
        "ApproximateTotalCount": page.total,
        "FetchedAt": iso(page.fetched_at),
    }
    return dumps(data)


def _check_body_instance(value: object, instance: ConnectInstance) -> None:
    """An InstanceId in the body must be the instance in the URL."""
    violations = rules.check_instance_id(value)
    if violations:
        raise ApiError(ErrorCode.VALIDATION_ERROR, violations[0].message)
    given, _ = rules.parse_instance(str(value))
    if given != instance.instance_id:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"InstanceId: {given} in the body is not the instance in the URL "
            f"({instance.instance_id}).",
        )


def _answer(request: HttpRequest, instance_ref: str) -> bytes:
    instance = _readable_instance(request, instance_ref, "GetCurrentMetricData")
    body = _json_body(request, "GetCurrentMetricData")
    page = answer_page(
        instance,
        _canonical(body, instance),
        next_token=body.get("NextToken"),
        max_results=body.get("MaxResults"),
        metric_order=[metric["Name"] for metric in body["CurrentMetrics"]],
    )
    # GetCurrentMetricData's answer, its MetricResults rendered once per page of a snapshot.
    return b"".join(
        (
            b'{"MetricResults":',
            rendered(page, _metric_results),
            b',"NextToken":',
            dumps(page.next_token),
            b',"DataSnapshotTime":',
            dumps(iso(page.snapshot.data_snapshot_time)),
            b',"ApproximateTotalCount":',
            dumps(page.total),
            b"}",
        )
    )


def _metric_results(page: Page) -> bytes:
    return dumps([_metric_result(row) for row in page.rows])


def _metric_result(row: MetricRow) -> dict[str, Any]:
    return {
        "Dimensions": row.dimensions,
        "Collections": [
            {"Metric": {"Name": name, "Unit": str(METRICS[name].unit)}, "Value": value}
            for name, value in row.values.items()
        ],
    }


def find_instance(instance_ref: str) -> tuple[ConnectInstance, str | None]:
    """The configured instance named by its ID or ARN (URL-encoded or not) in the URL, and
    the ARN if it was named by one (whose Region and account are checked once the caller
    may read the instance)."""
    text = unquote(instance_ref).strip("/")
    try:
        instance_id, arn = rules.parse_instance(text)
    except ValueError as error:
        raise ApiError(ErrorCode.NOT_FOUND, f"InstanceId: {error}") from None
    instance = ConnectInstance.objects.filter(instance_id=instance_id).order_by("pk").first()
    shown = rules.shown(text, quoted=False)
    if instance is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"No Connect instance {shown} is configured here.")
    if not instance.enabled:
        raise ApiError(
            ErrorCode.NOT_FOUND, f"The Connect instance {shown} is disabled by an admin."
        )
    return instance, arn


def place_of(instance: ConnectInstance) -> rules.InstancePlace:
    return rules.InstancePlace(instance.instance_id, instance.region, instance.known_account_id())


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _json_body(request: HttpRequest, operation: str) -> Any:
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
            f"Request body: is empty; send {operation}'s parameters as a JSON object.",
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
    violations = rules.check_place(body, lambda: place_of(instance))
    if violations:
        raise ApiError(ErrorCode.VALIDATION_ERROR, "; ".join(v.message for v in violations))
    if body.get("InstanceId") is not None:
        _check_body_instance(body["InstanceId"], instance)
    return canonical


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """settings' handler400 (dashboard/urls.py): a request Django refused before any view
    ran (a Host outside ALLOWED_HOSTS, above all) still gets the envelope on the endpoint's
    path; any other path gets Django's own page."""
    try:
        on_endpoint = resolve(request.path_info).view_name in ENDPOINT_VIEWS
    except Resolver404:
        on_endpoint = False
    if not on_endpoint:
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        message = (
            "Host: is not a name this server answers to; call it by one of its own (ALLOWED_HOSTS)."
        )
    else:
        message = "Request: refused as malformed before it was read."
    return failure(ApiError(ErrorCode.VALIDATION_ERROR, message))


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
