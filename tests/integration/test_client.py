"""The client: the exact request sent, every page, and answers turned into trustworthy rows."""

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from connectmetrics.client import client as client_module
from connectmetrics.client.client import fetch_current_metrics
from connectmetrics.client.outcomes import Outcome, UpstreamError
from connectmetrics.models import AccessMode, ConnectInstance

INSTANCE_ID = "11111111-2222-4333-8444-555555555555"
Q1, Q2, Q3 = "q-sales", "q-billing", "q-idle"
WHEN = datetime(2026, 11, 26, 8, 3, 22, tzinfo=UTC)


@pytest.fixture
def instance(db: None) -> ConnectInstance:
    return ConnectInstance.objects.create(
        name="Prod",
        region="eu-west-2",
        instance_id=INSTANCE_ID,
        access_mode=AccessMode.DEFAULT_CHAIN,
    )


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    connect = boto3.client(
        "connect", region_name="eu-west-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    stubber = Stubber(connect)
    monkeypatch.setattr(client_module, "client_for", lambda instance: connect)
    stubber.activate()
    return stubber


def result(queue: str, **values: float | None) -> dict[str, Any]:
    return {
        "Dimensions": {
            "Queue": {"Id": queue, "Arn": f"arn:aws:connect:eu-west-2:1:instance/x/queue/{queue}"}
        },
        # AWS leaves Value out when it could not be calculated.
        "Collections": [
            {
                "Metric": {
                    "Name": name,
                    "Unit": "SECONDS" if name == "OLDEST_CONTACT_AGE" else "COUNT",
                },
                **({} if value is None else {"Value": value}),
            }
            for name, value in values.items()
        ],
    }


REQUEST = {
    "Filters": {"Queues": [Q1, Q2, Q3], "Channels": ["VOICE"]},
    "Groupings": ["QUEUE"],
    "CurrentMetrics": [
        {"Name": "AGENTS_ONLINE", "Unit": "COUNT"},
        {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
    ],
}


def test_every_page_is_fetched_with_maxresults_100_and_the_same_parameters(
    instance: ConnectInstance, stubbed: Stubber
) -> None:
    expected = {**REQUEST, "InstanceId": INSTANCE_ID, "MaxResults": 100}
    stubbed.add_response(
        "get_current_metric_data",
        {
            "MetricResults": [result(Q1, AGENTS_ONLINE=4, OLDEST_CONTACT_AGE=30)],
            "NextToken": "page-2",
            "DataSnapshotTime": WHEN,
            "ApproximateTotalCount": 2,
        },
        expected,
    )
    stubbed.add_response(
        "get_current_metric_data",
        {
            "MetricResults": [result(Q2, AGENTS_ONLINE=2, OLDEST_CONTACT_AGE=None)],
            "DataSnapshotTime": WHEN,
            "ApproximateTotalCount": 2,
        },
        {**expected, "NextToken": "page-2"},
    )
    fetched = fetch_current_metrics(instance, REQUEST, expected_queue_ids=[Q1, Q2, Q3])
    stubbed.assert_no_pending_responses()
    assert fetched.calls == 2
    assert fetched.data_snapshot_time == WHEN
    rows = {row.key: row.values for row in fetched.rows}
    assert rows["QUEUE=q-sales"] == {"AGENTS_ONLINE": 4.0, "OLDEST_CONTACT_AGE": 30.0}
    # A null Value stays null: unknown is not zero.
    assert rows["QUEUE=q-billing"] == {"AGENTS_ONLINE": 2.0, "OLDEST_CONTACT_AGE": None}
    # The idle queue AWS left out is shown as zeros, not made to vanish.
    assert rows["QUEUE=q-idle"] == {"AGENTS_ONLINE": 0.0, "OLDEST_CONTACT_AGE": 0.0}


def test_oldest_contact_age_without_groupings_is_converted_from_milliseconds(
    instance: ConnectInstance, stubbed: Stubber
) -> None:
    request = {**REQUEST}
    del request["Groupings"]
    stubbed.add_response(
        "get_current_metric_data",
        {
            "MetricResults": [
                {
                    "Dimensions": {},
                    "Collections": [
                        {
                            "Metric": {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
                            "Value": 24113.0,
                        }
                    ],
                }
            ],
            "DataSnapshotTime": WHEN,
        },
    )
    fetched = fetch_current_metrics(instance, request, expected_queue_ids=[Q1, Q2, Q3])
    assert [(row.key, row.values) for row in fetched.rows] == [
        ("ALL", {"OLDEST_CONTACT_AGE": 24.113})
    ]


def test_grouped_oldest_contact_age_is_already_seconds(
    instance: ConnectInstance, stubbed: Stubber
) -> None:
    stubbed.add_response(
        "get_current_metric_data",
        {"MetricResults": [result(Q1, OLDEST_CONTACT_AGE=24)], "DataSnapshotTime": WHEN},
    )
    fetched = fetch_current_metrics(instance, REQUEST)
    assert fetched.rows[0].values == {"OLDEST_CONTACT_AGE": 24.0}


def test_queue_and_channel_grouping_fills_idle_queue_channels(
    instance: ConnectInstance, stubbed: Stubber
) -> None:
    request = {
        **REQUEST,
        "Groupings": ["QUEUE", "CHANNEL"],
        "Filters": {"Queues": [Q1], "Channels": ["CHAT", "VOICE"]},
    }
    row = result(Q1, AGENTS_ONLINE=3, OLDEST_CONTACT_AGE=5)
    row["Dimensions"]["Channel"] = "VOICE"
    stubbed.add_response(
        "get_current_metric_data", {"MetricResults": [row], "DataSnapshotTime": WHEN}
    )
    fetched = fetch_current_metrics(instance, request, expected_queue_ids=[Q1])
    assert sorted(r.key for r in fetched.rows) == [
        "QUEUE=q-sales|CHANNEL=CHAT",
        "QUEUE=q-sales|CHANNEL=VOICE",
    ]


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [
        ("ThrottlingException", 429, Outcome.THROTTLED),
        ("ResourceNotFoundException", 404, Outcome.NOT_FOUND),
        ("AccessDeniedException", 403, Outcome.ACCESS_DENIED),
        ("InvalidRequestException", 400, Outcome.INVALID_REQUEST),
        ("InvalidParameterException", 400, Outcome.INVALID_REQUEST),
        ("InternalServiceException", 500, Outcome.UNAVAILABLE),
    ],
)
def test_failures_come_out_as_outcomes_not_botocore_exceptions(
    instance: ConnectInstance, stubbed: Stubber, code: str, status: int, outcome: Outcome
) -> None:
    stubbed.add_client_error("get_current_metric_data", code, "it went wrong", status)
    with pytest.raises(UpstreamError) as caught:
        fetch_current_metrics(instance, REQUEST)
    assert caught.value.outcome is outcome
    assert caught.value.error_class == code
    assert "it went wrong" in caught.value.description


def test_one_client_per_instance_is_reused_until_the_instance_changes(db: None) -> None:
    instance = ConnectInstance.objects.create(
        name="Sim",
        region="eu-west-2",
        instance_id="00000000-0000-4000-8000-000000000001",
        access_mode=AccessMode.SIMULATED,
    )
    first = client_module.client_for(instance)
    assert client_module.client_for(ConnectInstance.objects.get(pk=instance.pk)) is first
    instance.simulator_seed = 8
    instance.save()
    assert client_module.client_for(instance) is not first


def test_clients_use_standard_retries_and_timeouts(db: None) -> None:
    instance = ConnectInstance.objects.create(
        name="Real",
        region="eu-west-2",
        instance_id=INSTANCE_ID,
        access_mode=AccessMode.DEFAULT_CHAIN,
    )
    config = client_module.client_for(instance).meta.config
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == 3
    assert (config.connect_timeout, config.read_timeout) == (5, 10)
