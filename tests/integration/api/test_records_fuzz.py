"""Property: whatever the body, the user data and metric data endpoints answer an envelope,
never a 5xx: a body the rules refuse is a VALIDATION_ERROR naming a field, one they accept
is answered (or THROTTLED by its operation's quota)."""

import json
import re
import time
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectmetrics.api.auth import issue_token
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from connectmetrics.simulator import metric_data_request, userdata
from tests.api_support import simulated_centre

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# "Filters.Queues: ...", "Metrics[0].Threshold[0].Comparison: ...", "StartTime, EndTime: ...".
FIELD_FIRST = re.compile(r"^[A-Z][\w.\[\], ]*: ")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.fixture
def centre(api_embedded: str) -> ConnectInstance:
    return simulated_centre()


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Fuzzer", [centre])[1]


def user_data_bodies(queue_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    resource = st.sampled_from(["Queues", "RoutingProfiles", "Agents", "UserHierarchyGroups"])
    return st.builds(
        lambda name, ids, states, size: {
            "Filters": {
                name: ids,
                **({"ContactFilter": {"ContactStates": states}} if states is not None else {}),
            },
            **({"MaxResults": size} if size is not None else {}),
        },
        resource,
        st.lists(st.sampled_from(queue_ids), min_size=1, max_size=3, unique=True),
        st.none() | st.lists(st.sampled_from(userdata.CONTACT_STATES), max_size=3, unique=True),
        st.none() | st.integers(min_value=-2, max_value=120),
    )


def metric_data_bodies(queue_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    end = time.time() - 60
    metric = st.sampled_from(metric_data_request.METRICS).map(
        lambda name: (
            {"Name": name, "Threshold": [{"Comparison": "LT", "ThresholdValue": 30}]}
            if name in metric_data_request.THRESHOLD_METRICS
            else {"Name": name}
        )
    )
    return st.builds(
        lambda hours, period, groupings, metrics, values: {
            "StartTime": end - hours * 3600,
            "EndTime": end,
            "Interval": {"IntervalPeriod": period},
            "Filters": [{"FilterKey": "QUEUE", "FilterValues": values}],
            "Groupings": groupings,
            "Metrics": metrics,
        },
        st.integers(min_value=1, max_value=100),
        st.sampled_from(["FIFTEEN_MIN", "HOUR", "DAY", "TOTAL"]),
        st.lists(st.sampled_from(["QUEUE", "CHANNEL", "AGENT"]), max_size=2, unique=True),
        st.lists(metric, min_size=1, max_size=3),
        st.lists(st.sampled_from(queue_ids), min_size=1, max_size=3, unique=True),
    )


def mutated(bodies: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A body the rules mostly accept, one of its fields replaced by any JSON value."""
    return st.builds(
        lambda body, field, value: {**body, field: value},
        bodies,
        st.sampled_from(
            ["Filters", "MaxResults", "NextToken", "StartTime", "Metrics", "Interval", "Extra"]
        ),
        json_values,
    )


def answered_as_an_envelope(response: Any) -> None:
    assert response.status_code in (200, 400, 429), response.content
    payload = json.loads(response.content)
    if response.status_code == 200:
        assert payload["success"] is True
    else:
        assert payload["success"] is False
        if payload["error"]["code"] == "VALIDATION_ERROR":
            # The message starts with the field it is about.
            assert FIELD_FIRST.match(payload["error"]["message"]), payload


@pytest.mark.parametrize("endpoint", ["userdata", "data"])
def test_any_body_is_answered_as_an_envelope(
    client: Client, centre: ConnectInstance, token: str, endpoint: str
) -> None:
    queue_ids = list(centre.queues.values_list("queue_id", flat=True))
    valid = user_data_bodies(queue_ids) if endpoint == "userdata" else metric_data_bodies(queue_ids)

    @FUZZ
    @given(body=json_values | valid | mutated(valid))
    def check(body: Any) -> None:
        response = client.post(
            f"/metrics/{endpoint}/{SIMULATED_INSTANCE_ID}",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        answered_as_an_envelope(response)

    check()
