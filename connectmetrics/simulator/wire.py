"""The Connect wire API of a simulated centre, as a botocore ``before-send`` handler.

botocore builds and signs the real HTTP request, then emits ``before-send``;
answering it with an ``AWSResponse`` skips the network. Everything else is
botocore's own: the serializer before, the parser, the modeled exceptions and
the retry logic after (a 429 here is retried by "standard" retries).
"""

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders

from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.faults import Control

# (method, path pattern) -> operation name. The pattern's groups are the path
# parameters (InstanceId, then UserId), passed to the operation before the
# parameters of the body (POST) or query string (GET).
_ROUTES = tuple(
    (method, re.compile(pattern), name)
    for method, pattern, name in (
        ("POST", r"/metrics/current/([^/]*)", "GetCurrentMetricData"),
        ("POST", r"/metrics/userdata/([^/]*)", "GetCurrentUserData"),
        ("POST", r"/metrics/data", "GetMetricDataV2"),
        ("GET", r"/queues-summary/([^/]*)", "ListQueues"),
        ("GET", r"/routing-profiles-summary/([^/]*)", "ListRoutingProfiles"),
        ("POST", r"/search-users", "SearchUsers"),
        ("GET", r"/users-summary/([^/]*)", "ListUsers"),
        ("GET", r"/users/([^/]*)/([^/]*)", "DescribeUser"),
        ("GET", r"/agent-status/([^/]*)", "ListAgentStatuses"),
        ("GET", r"/user-hierarchy-groups-summary/([^/]*)", "ListUserHierarchyGroups"),
    )
)

# An operation's answer: (path parameters as sent..., parameters) -> JSON-ready dict.
Operation = Callable[..., dict[str, Any]]


class _Body:
    """The ``raw`` of an AWSResponse: botocore only ever calls ``stream()`` on it here."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def _response(
    url: str, status: int, payload: Mapping[str, Any], headers: Mapping[str, str]
) -> AWSResponse:
    sent = HTTPHeaders()
    for name, value in {
        "Content-Type": "application/json",
        "x-amzn-RequestId": str(uuid.uuid4()),
        **headers,
    }.items():
        sent[name] = value
    return AWSResponse(url, status, sent, _Body(json.dumps(payload).encode()))


class WireHandler:
    """Routes each HTTP request botocore built to an operation of the centre."""

    def __init__(self, operations: Mapping[str, Operation], control: Control) -> None:
        self._operations = operations
        self._control = control

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse:
        operation_name = event_name.rsplit(".", 1)[-1] or "unknown"
        try:
            return self._answer(request, operation_name)
        except ApiError as error:
            return _response(
                request.url,
                error.status,
                {"message": error.message},
                {"x-amzn-ErrorType": error.code},
            )

    def _answer(self, request: AWSPreparedRequest, operation_name: str) -> AWSResponse:
        number, faults = self._control.record_call(operation_name)
        if faults.latency:
            time.sleep(faults.latency)
        fault = faults.fault_for(number)
        if fault is not None:
            raise fault
        parts = urlsplit(request.url)
        for method, pattern, route in _ROUTES:
            match = pattern.fullmatch(parts.path)
            if method == request.method and match is not None and route in self._operations:
                break
        else:
            raise ApiError(
                "NotImplemented",
                f"The simulated contact centre does not implement {operation_name} "
                f"({request.method} {parts.path}).",
            )
        # Path parameters arrive quoted, and may be empty.
        path = [unquote(value) for value in match.groups()]
        if request.method == "GET":
            params: Any = parse_qs(parts.query)
        else:
            params = _json_body(request.body)
        return _response(request.url, 200, self._operations[route](*path, params), {})


def _json_body(body: str | bytes | bytearray | IO[bytes] | IO[str] | None) -> Any:
    text = body.read() if body is not None and hasattr(body, "read") else body
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError as error:
        raise ApiError(
            "InvalidRequestException", f"The request body is not JSON: {error}"
        ) from error
