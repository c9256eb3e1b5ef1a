"""Property: whatever the body, path or token, the endpoint answers an envelope, never a 5xx."""

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.api.auth import issue_token
from connectmetrics.api.envelope import ErrorCode
from connectmetrics.catalogue import METRICS, Channel, SortOrder
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
