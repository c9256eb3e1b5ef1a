"""The OpenAPI document lists every envelope endpoint, is a valid OpenAPI 3.1 document, and
the endpoints' real answers match the schemas it gives for them."""

import json
import time
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from connectmetrics.api.auth import issue_token
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.models import ConnectInstance
from tests.agents_support import agent_centre

pytest_plugins = ["tests.api_fixtures"]
pytestmark = pytest.mark.django_db


def answer_matches(document: dict[str, Any], schema: str, answer: Any) -> None:
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    )
    errors = [error.message for error in validator.iter_errors(answer)]
    assert errors == []


def test_the_document_is_valid_and_lists_the_three_endpoints(client: Client) -> None:
    document = client.get("/api/openapi.json").json()
    validate(document)
    assert set(document["paths"]) == {
        "/metrics/current/{InstanceId}",
        "/metrics/userdata/{InstanceId}",
        "/metrics/data/{InstanceId}",
    }
    for path in document["paths"].values():
        responses = path["post"]["responses"]
        assert {int(s) for s in responses} == {200, 400, 401, 403, 404, 405, 429, 502, 503}
    schemas = document["components"]["schemas"]
    contact_states = schemas["GetCurrentUserDataRequest"]["properties"]["Filters"]["properties"]
    assert (
        "CONNECTED_ONHOLD"
        in contact_states["ContactFilter"]["properties"]["ContactStates"]["items"]["enum"]
    )


def test_real_answers_match_their_schemas(client: Client, api_embedded: str) -> None:
    centre: ConnectInstance = agent_centre(agents=60)
    token = issue_token("Workforce tool", [centre])[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    document = client.get("/api/openapi.json").json()
    profiles = list(centre.routing_profiles.values_list("routing_profile_id", flat=True))
    users = client.post(
        f"/metrics/userdata/{SIMULATED_INSTANCE_ID}",
        json.dumps({"Filters": {"RoutingProfiles": profiles}, "MaxResults": 5}),
        content_type="application/json",
        **headers,
    ).json()
    answer_matches(document, "UserDataSuccess", users)
    end = time.time() - 60
    queues = list(centre.queues.values_list("queue_id", flat=True))
    data = client.post(
        f"/metrics/data/{SIMULATED_INSTANCE_ID}",
        json.dumps(
            {
                "StartTime": end - 3600,
                "EndTime": end,
                "Filters": [{"FilterKey": "QUEUE", "FilterValues": queues}],
                "Groupings": ["QUEUE"],
                "Metrics": [{"Name": "ABANDONMENT_RATE"}],
            }
        ),
        content_type="application/json",
        **headers,
    ).json()
    answer_matches(document, "MetricDataSuccess", data)
    assert data["data"]["MetricResults"]
