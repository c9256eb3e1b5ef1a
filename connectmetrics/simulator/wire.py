"""The Connect wire API of a simulated centre, as a botocore ``before-send`` handler.

botocore builds and signs the real HTTP request, then emits ``before-send``;
answering it with an ``AWSResponse`` skips the network. Everything else is
botocore's own: the serializer before, the parser, the modeled exceptions and
the retry logic after (a 429 here is retried by "standard" retries).
"""

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders

from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.faults import Control

# (method, first path segment) -> operation name; the second segment is the InstanceId.
_ROUTES = {
    ("POST", "metrics/current"): "GetCurrentMetricData",
    ("GET", "queues-summary"): "ListQueues",
    ("GET", "routing-profiles-summary"): "ListRoutingProfiles",
}

# An operation's answer: (InstanceId as sent, parameters) -> JSON-ready dict.
Operation = Callable[[str, Mapping[str, Any]], dict[str, Any]]


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
        # "/metrics/current/{InstanceId}": the last segment is the (quoted)
        # InstanceId, possibly empty.
        segments = [unquote(s) for s in parts.path.split("/")[1:]]
        prefix, instance = "/".join(segments[:-1]), segments[-1]
        route = _ROUTES.get((request.method or "", prefix))
        if route is None:
            raise ApiError(
                "NotImplemented",
                f"The simulated contact centre does not implement {operation_name} "
                f"({request.method} {parts.path}).",
            )
        if request.method == "GET":
            params: Any = parse_qs(parts.query)
        else:
            params = _json_body(request.body)
        return _response(request.url, 200, self._operations[route](instance, params), {})


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
