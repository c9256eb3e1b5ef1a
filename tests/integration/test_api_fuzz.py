"""Property: whatever the body, path or token, the endpoint answers an envelope, never a 5xx."""

import json
import math
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.api import pagination
from connectmetrics.api.auth import issue_token
from connectmetrics.api.envelope import ApiError, ErrorCode
from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import METRICS, Channel, SortOrder
from connectmetrics.models import ConnectInstance
from tests.api_support import (
    simulated_centre,
)

pytest_plugins = ["tests.api_fixtures"]

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def centre(api_embedded: str, settings: Any) -> ConnectInstance:
    # A quota no fuzzed request runs out of, so valid ones reach the simulated centre.
    settings.CONNECT_RATE_PER_SECOND = 10_000
    settings.CONNECT_RATE_BURST = 10_000
    return simulated_centre()


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Fuzzer", [centre])[1]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def valid_bodies(queue_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Requests the rules accept (mostly): real queues, channels, metrics and a sort."""
    channels = st.lists(st.sampled_from([str(c) for c in Channel]), min_size=1, unique=True)
    sortable = [name for name in METRICS if not name.startswith("SLOTS_")]
    return st.fixed_dictionaries(
        {
            "Filters": st.fixed_dictionaries(
                {
                    "Queues": st.lists(
                        st.sampled_from(queue_ids), min_size=1, max_size=8, unique=True
                    ),
                    "Channels": channels,
                }
            ),
            "Groupings": st.sampled_from([[], ["QUEUE"], ["QUEUE", "CHANNEL"], ["CHANNEL"]]),
            "CurrentMetrics": st.lists(
                st.sampled_from(list(METRICS)), min_size=1, max_size=5, unique=True
            ).map(lambda names: [{"Name": n, "Unit": str(METRICS[n].unit)} for n in names]),
        },
        optional={
            "SortCriteria": st.lists(
                st.fixed_dictionaries(
                    {
                        "SortByMetric": st.sampled_from(sortable),
                        "SortOrder": st.sampled_from([str(o) for o in SortOrder]),
                    }
                ),
                max_size=1,
            ),
            "MaxResults": st.integers(1, 100),
        },
    )


KEYS = ["Filters", "Groupings", "CurrentMetrics", "SortCriteria", "MaxResults", "NextToken"]


@st.composite
def near_valid_bodies(draw: st.DrawFn, queue_ids: list[str]) -> dict[str, Any]:
    """A valid request with up to two of its parts replaced by junk, dropped, or added."""
    body: dict[str, Any] = draw(valid_bodies(queue_ids))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*KEYS, "Surprise"]))
        if draw(st.booleans()):
            body[key] = draw(json_values)
        else:
            body.pop(key, None)
    return body


def assert_enveloped(response: Any) -> None:
    assert response.status_code < 500, response.content
    payload = json.loads(response.content)
    if response.status_code == 200:
        assert payload["success"] is True and "MetricResults" in payload["data"]
    else:
        assert payload["success"] is False
        assert payload["error"]["code"] in set(ErrorCode)
        assert payload["error"]["message"]


def send(client: Client, path: str, body: bytes, token: str) -> Any:
    return client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@FUZZ
@given(body=json_values)
def test_any_json_body_gets_an_envelope_never_a_5xx(
    client: Client, centre: ConnectInstance, token: str, body: Any
) -> None:
    path = f"/metrics/current/{centre.instance_id}"
    assert_enveloped(send(client, path, json.dumps(body).encode(), token))


@FUZZ
@given(data=st.data())
def test_near_valid_requests_get_an_envelope_never_a_5xx(
    client: Client, centre: ConnectInstance, token: str, data: st.DataObject
) -> None:
    queue_ids = list(centre.queues.values_list("queue_id", flat=True))
    body = data.draw(near_valid_bodies(queue_ids))
    path = f"/metrics/current/{centre.instance_id}"
    assert_enveloped(send(client, path, json.dumps(body).encode(), token))


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes_get_an_envelope_never_a_5xx(
    client: Client, centre: ConnectInstance, token: str, raw: bytes
) -> None:
    assert_enveloped(send(client, f"/metrics/current/{centre.instance_id}", raw, token))


@FUZZ
@given(ref=st.text(min_size=1, max_size=60), header=st.text(max_size=60))
def test_any_instance_or_authorization_gets_an_envelope_never_a_5xx(
    client: Client, centre: ConnectInstance, ref: str, header: str
) -> None:
    from urllib.parse import quote

    path = f"/metrics/current/{quote(ref, safe='')}"
    printable = "".join(c for c in header if c.isprintable() and ord(c) < 128)
    response = client.post(
        path, b"{}", content_type="application/json", HTTP_AUTHORIZATION=printable
    )
    if response.status_code == 404 and response["Content-Type"] != "application/json":
        return  # no route matched at all (e.g. only slashes): Django's own 404
    assert_enveloped(response)


# --- NextToken: whatever a signed token holds, a VALIDATION_ERROR or a sound position -------

token_fields = st.one_of(
    json_values,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
)


def forged_token(payload: Any) -> str:
    """A token signed with this deployment's key, as anyone holding the key could make."""
    return signing.dumps(payload, salt=pagination._SALT, compress=True)


def read_or_refusal(token: str) -> pagination.Position | ApiError:
    try:
        return pagination.read(token, instance_pk=1, request_key="k" * 64)
    except ApiError as refused:
        return refused


@settings(max_examples=300, deadline=None)
@given(
    payload=st.fixed_dictionaries(
        {
            "i": st.just(1) | token_fields,
            "r": st.just("k" * 64) | token_fields,
            "s": st.just("0123456789abcdef") | token_fields,
            "o": st.integers(0, 1000) | token_fields,
            "t": st.just(0.0) | token_fields,
        }
    )
    | json_values
)
def test_any_signed_next_token_is_a_position_or_a_validation_error(payload: Any) -> None:
    now = 1_000_000.0
    pagination.clock = lambda: now
    try:
        if isinstance(payload, dict) and payload.get("t") == 0.0:
            payload = {**payload, "t": now - 1}
        outcome = read_or_refusal(forged_token(payload))
    finally:
        pagination.clock = time.time
    if isinstance(outcome, ApiError):
        assert outcome.code is ErrorCode.VALIDATION_ERROR
        assert outcome.message.startswith("NextToken: ")
        return
    assert isinstance(payload["o"], int) and 0 <= outcome.offset == payload["o"]
    assert not isinstance(payload["t"], bool) and math.isfinite(payload["t"])
    assert outcome.snapshot_id == payload["s"]


@settings(max_examples=200, deadline=None)
@given(token=st.text(max_size=300))
def test_any_unsigned_next_token_is_a_validation_error(token: str) -> None:
    outcome = read_or_refusal(token)
    assert isinstance(outcome, ApiError) and outcome.code is ErrorCode.VALIDATION_ERROR


@pytest.mark.parametrize(
    ("field", "literal"),
    [("o", "1e400"), ("o", "-1"), ("o", "2.5"), ("t", "NaN"), ("t", "Infinity"), ("i", "true")],
)
def test_a_signed_next_token_out_of_range_is_a_validation_error(
    client: Client, centre: ConnectInstance, token: str, field: str, literal: str
) -> None:
    queue_ids = list(centre.queues.values_list("queue_id", flat=True))[:2]
    body = {
        "Filters": {"Queues": queue_ids, "Channels": ["VOICE"]},
        "CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "COUNT"}],
    }
    canonical = rules.request_key(rules.canonical_request(body))
    fields = {"i": str(centre.pk), "r": json.dumps(canonical), "s": '"abc"', "o": "0"}
    fields["t"] = repr(time.time())
    fields[field] = literal
    text = "{" + ",".join(f'"{name}":{value}' for name, value in fields.items()) + "}"
    forged = signing.TimestampSigner(salt=pagination._SALT).sign(
        signing.b64_encode(text.encode()).decode()
    )
    response = send(
        client,
        f"/metrics/current/{centre.instance_id}",
        json.dumps({**body, "NextToken": forged}).encode(),
        token,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"] == f"NextToken: {pagination.NOT_OURS}"
