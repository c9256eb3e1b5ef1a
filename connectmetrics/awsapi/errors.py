"""AWS's error answers: the status, `x-amzn-ErrorType`, and a JSON message.

Errors of the service's own model (InvalidParameterException and the rest of
Connect's exceptions) carry their message as `Message`, the member their shape
declares; errors of AWS's front door (authentication, an unknown operation)
carry it as `message`. botocore and the other SDKs read either.
"""

import json
import uuid
from typing import Any

from django.http import HttpResponse

from connectmetrics.simulator.errors import STATUS as MODELLED_STATUS

INVALID_PARAMETER = "InvalidParameterException"
INVALID_REQUEST = "InvalidRequestException"
RESOURCE_NOT_FOUND = "ResourceNotFoundException"
ACCESS_DENIED = "AccessDeniedException"
THROTTLING = "ThrottlingException"
INTERNAL_SERVICE = "InternalServiceException"

# AWS's front door, before any operation runs.
MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException"
INCOMPLETE_SIGNATURE = "IncompleteSignatureException"
INVALID_SIGNATURE = "InvalidSignatureException"
UNRECOGNIZED_CLIENT = "UnrecognizedClientException"
UNKNOWN_OPERATION = "UnknownOperationException"

_FRONT_DOOR_STATUS = {
    MISSING_AUTHENTICATION_TOKEN: 403,
    INCOMPLETE_SIGNATURE: 403,
    INVALID_SIGNATURE: 403,
    UNRECOGNIZED_CLIENT: 403,
    UNKNOWN_OPERATION: 404,
}


class AwsError(Exception):
    """An AWS error answer, raised anywhere below the drop-in's views."""

    def __init__(self, error_type: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return _FRONT_DOOR_STATUS.get(self.error_type) or MODELLED_STATUS[self.error_type]


def aws_json(payload: dict[str, Any] | bytes, status: int = 200) -> HttpResponse:
    """An answer as AWS's REST-JSON services give it, with its request ID."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = HttpResponse(body, status=status, content_type="application/json")
    response["x-amzn-RequestId"] = str(uuid.uuid4())
    return response


def error_response(error: AwsError) -> HttpResponse:
    field = "message" if error.error_type in _FRONT_DOOR_STATUS else "Message"
    response = aws_json({field: error.message}, error.status)
    response["x-amzn-ErrorType"] = error.error_type
    if error.retry_after is not None:
        response["Retry-After"] = str(max(1, round(error.retry_after)))
    return response
