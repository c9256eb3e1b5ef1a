"""Everything under /aws/: Amazon Connect's REST-JSON wire protocol, for AWS SDKs and the CLI.

Point an SDK's endpoint URL at `http(s)://<host>/aws` and sign with an access
key this product issued. Every request is authenticated first (as AWS's front
door does), then routed by method and path; an operation this endpoint does not
serve is answered UnknownOperationException, as AWS answers one it does not know.
"""

import logging
import re
from collections.abc import Callable

import redis
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.awsapi.auth import Caller, authenticate, readable_instance
from connectmetrics.awsapi.errors import (
    ACCESS_DENIED,
    INTERNAL_SERVICE,
    INVALID_PARAMETER,
    INVALID_REQUEST,
    RESOURCE_NOT_FOUND,
    THROTTLING,
    UNKNOWN_OPERATION,
    AwsError,
    aws_json,
    error_response,
)
from connectmetrics.awsapi.lists import list_queues, list_routing_profiles
from connectmetrics.awsapi.metrics import get_current_metric_data, json_body
from connectmetrics.awsapi.records import answer as records_answer
from connectmetrics.client.quotas import GET_CURRENT_USER_DATA, GET_METRIC_DATA_V2

log = logging.getLogger(__name__)

# The seed endpoint's error codes, as AWS names them.
_AWS_TYPE: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION_ERROR: INVALID_REQUEST,
    ErrorCode.FORBIDDEN: ACCESS_DENIED,
    ErrorCode.NOT_FOUND: RESOURCE_NOT_FOUND,
    ErrorCode.THROTTLED: THROTTLING,
    ErrorCode.UPSTREAM_ERROR: INTERNAL_SERVICE,
    ErrorCode.UNAVAILABLE: INTERNAL_SERVICE,
}

Operation = Callable[[HttpRequest, Caller, str], HttpResponse]


def _get_current_metric_data(request: HttpRequest, caller: Caller, ref: str) -> HttpResponse:
    instance = readable_instance(caller, ref)
    return aws_json(get_current_metric_data(instance, ref, request.body))


def _get_current_user_data(request: HttpRequest, caller: Caller, ref: str) -> HttpResponse:
    instance = readable_instance(caller, ref)
    return aws_json(records_answer(instance, GET_CURRENT_USER_DATA, json_body(request.body)))


def _get_metric_data_v2(request: HttpRequest, caller: Caller, ref: str) -> HttpResponse:
    # The instance is the body's ResourceArn, which the path does not carry.
    body = json_body(request.body)
    arn = body.get("ResourceArn") if isinstance(body, dict) else None
    if not isinstance(arn, str):
        raise AwsError(
            INVALID_PARAMETER,
            "ResourceArn: required, the instance ARN "
            "(arn:aws:connect:<region>:<account>:instance/<instance-id>)",
        )
    instance = readable_instance(caller, arn)
    return aws_json(records_answer(instance, GET_METRIC_DATA_V2, body))


def _list_queues(request: HttpRequest, caller: Caller, ref: str) -> HttpResponse:
    return aws_json(list_queues(readable_instance(caller, ref), request.GET))


def _list_routing_profiles(request: HttpRequest, caller: Caller, ref: str) -> HttpResponse:
    return aws_json(list_routing_profiles(readable_instance(caller, ref), request.GET))


# (method, path under /aws/ up to the InstanceId) -> the operation serving it.
_ROUTES: dict[tuple[str, str], Operation] = {
    ("POST", "metrics/current"): _get_current_metric_data,
    ("POST", "metrics/userdata"): _get_current_user_data,
    ("POST", "metrics/data"): _get_metric_data_v2,
    ("GET", "queues-summary"): _list_queues,
    ("GET", "routing-profiles-summary"): _list_routing_profiles,
}
# The most of a path an answer repeats back.
_ECHOED = 120
_ROUTE_RE = re.compile(
    r"(?P<prefix>metrics/current|metrics/userdata|[a-z-]+-summary)/(?P<instance>.+)"
    # GetMetricDataV2 names its instance in the body.
    r"|(?P<bare>metrics/data)/?"
)


def _route(method: str, rest: str) -> tuple[Operation, str]:
    match = _ROUTE_RE.fullmatch(rest)
    prefix = (match["prefix"] or match["bare"]) if match else None
    operation = _ROUTES.get((method, prefix)) if prefix else None
    if match is None or operation is None:
        raise AwsError(
            UNKNOWN_OPERATION,
            f"{method[:10]} /{rest[:_ECHOED]} is not an operation this endpoint serves "
            "(GetCurrentMetricData, GetCurrentUserData, GetMetricDataV2, "
            "ListQueues and ListRoutingProfiles are); call Amazon Connect itself for the rest.",
        )
    return operation, (match["instance"] or "").strip("/")


@csrf_exempt
def connect_api(request: HttpRequest, rest: str = "") -> HttpResponse:
    caller = None
    try:
        caller = authenticate(request)
        operation, instance_ref = _route(request.method or "", rest)
        return operation(request, caller, instance_ref)
    except (AwsError, ApiError, redis.RedisError) as error:
        if caller is not None:
            caller.refused()
        return error_response(_as_aws_error(error))


def _as_aws_error(error: Exception) -> AwsError:
    if isinstance(error, AwsError):
        return error
    if isinstance(error, ApiError):
        aws_type = _AWS_TYPE.get(error.code, INTERNAL_SERVICE)
        return AwsError(aws_type, error.message, retry_after=error.retry_after)
    log.warning("Redis refused the drop-in Connect endpoint", exc_info=error)
    return AwsError(
        INTERNAL_SERVICE,
        "The shared metrics cache (Redis) is not answering; retry in a few seconds.",
    )
