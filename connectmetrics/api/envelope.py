"""The JSON envelope every answer of the envelope endpoints (metrics, user data, metric data)
comes in.

Success: ``{"success": true, "data": {...}}``. Failure:
``{"success": false, "error": {"code": "...", "message": "..."}}`` with one of
the codes below and its HTTP status. A caller can branch on ``code`` and show
``message`` to a person: it names the field and the rule, or what to do next.
"""

import json
import math
from enum import StrEnum
from typing import Any

from django.http import HttpResponse


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    THROTTLED = "THROTTLED"
    UPSTREAM_ERROR = "UPSTREAM_ERROR"
    UNAVAILABLE = "UNAVAILABLE"


STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_ERROR: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.THROTTLED: 429,
    ErrorCode.UPSTREAM_ERROR: 502,
    ErrorCode.UNAVAILABLE: 503,
}

# What each code means, for the docs page and the OpenAPI document.
MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.VALIDATION_ERROR: "The request breaks a rule of its operation (GetCurrentMetricData, "
    "GetCurrentUserData or GetMetricDataV2; the message names the field and the rule), is not "
    "a JSON object, or its NextToken is expired or belongs to another request.",
    ErrorCode.UNAUTHORIZED: "No API token, an unknown one, or a revoked one.",
    ErrorCode.FORBIDDEN: "The API token is not allowed to read this Connect instance, or the "
    "logged-in user is not staff.",
    ErrorCode.NOT_FOUND: "No Connect instance with that ID or ARN is configured (or it is "
    "disabled).",
    ErrorCode.METHOD_NOT_ALLOWED: "Only POST is answered.",
    ErrorCode.THROTTLED: "Answering would spend more of the account's quota for the operation "
    "than it has; retry after the seconds in the Retry-After header.",
    ErrorCode.UPSTREAM_ERROR: "Amazon Connect answered with an error or could not be reached.",
    ErrorCode.UNAVAILABLE: "The shared cache (Redis) is down or the shared fetch did not finish "
    "in time; retry shortly.",
}

_JSON = "application/json"
# Every message is cut to this length, whatever it quotes or however many rules a request
# broke (rules.shown already cuts each quoted value): an answer about a bad request is never
# as large as the request.
MAX_MESSAGE_CHARS = 2000


class ApiError(Exception):
    """An answer that is not a success, raised anywhere below the view."""

    def __init__(self, code: ErrorCode, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


def dumps(payload: Any) -> bytes:
    """The envelope's JSON: compact, UTF-8, no NaN."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def success_json(data: bytes) -> HttpResponse:
    """A success whose `data` is already JSON (see dumps)."""
    response = HttpResponse(b'{"success":true,"data":' + data + b"}", content_type=_JSON)
    # Live numbers: a proxy must never serve yesterday's queue from its cache.
    response["Cache-Control"] = "no-store"
    return response


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return f"{message[:MAX_MESSAGE_CHARS]}… ({len(message) - MAX_MESSAGE_CHARS:,} more characters)"


def failure(error: ApiError) -> HttpResponse:
    message = _bounded(error.message)
    body = {"success": False, "error": {"code": str(error.code), "message": message}}
    response = HttpResponse(dumps(body), content_type=_JSON, status=STATUS[error.code])
    response["Cache-Control"] = "no-store"
    if error.code is ErrorCode.THROTTLED:
        # Whole seconds (RFC 9110), never 0: a client retrying at once would only be refused again.
        response["Retry-After"] = str(max(1, math.ceil(error.retry_after or 1)))
    if error.code is ErrorCode.UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    if error.code is ErrorCode.METHOD_NOT_ALLOWED:
        response["Allow"] = "POST"
    return response
