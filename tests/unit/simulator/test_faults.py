"""The simulated centre's faults in process (throttling, errors, latency), with botocore's
retries."""

import time

import pytest
from botocore.client import BaseClient
from botocore.config import Config

from connectmetrics.simulator import (
    Faults,
    simulated_client,
)
from tests.simulator_support import GET, IID, MORNING, Clock, error_of, one_call

# -- faults, in process ---------------------------------------------------------------


def faulty(faults: Faults, attempts: int = 2) -> BaseClient:
    return simulated_client(
        seed=7,
        faults=faults,
        clock=Clock(MORNING),
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


def test_throttling_is_retried_by_botocore_standard_mode() -> None:
    faults = Faults(throttle=1.0)
    client = faulty(faults, attempts=2)
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        one_call(client)
    assert error_of(caught)[:2] == ("ThrottlingException", 429)
    assert faults.calls[GET] == 2  # the first attempt and botocore's retry
    # Every second call throttled: each throttled call's retry gets through.
    faults.reset()
    faults.throttle = 0.5
    assert one_call(client)["ResponseMetadata"]["RetryAttempts"] == 0
    assert one_call(client)["ResponseMetadata"]["RetryAttempts"] == 1
    assert faults.call_counts() == {GET: 3}


def test_internal_errors_are_retried_then_raised() -> None:
    faults = Faults(internal_error=True)
    assert faults.internal_error == 1.0
    client = faulty(faults, attempts=2)
    with pytest.raises(client.exceptions.InternalServiceException) as caught:
        one_call(client)
    assert error_of(caught)[:2] == ("InternalServiceException", 500)
    assert faults.calls[GET] == 2


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        ("access_denied", "AccessDeniedException", 403),
        ("not_found", "ResourceNotFoundException", 404),
    ],
)
def test_access_denied_and_not_found_are_not_retried(fault: str, code: str, status: int) -> None:
    faults = Faults(**{fault: True})
    client = faulty(faults, attempts=3)
    with pytest.raises(getattr(client.exceptions, code)) as caught:
        client.list_queues(InstanceId=IID)
    assert error_of(caught)[:2] == (code, status)
    assert faults.call_counts() == {"ListQueues": 1}


def test_latency_and_changing_faults_at_run_time() -> None:
    faults = Faults()
    client = faulty(faults, attempts=1)
    one_call(client)
    faults.latency = 0.2
    started = time.perf_counter()
    one_call(client)
    assert time.perf_counter() - started >= 0.2
    faults.latency = 0
    faults.throttle = 1
    with pytest.raises(client.exceptions.ThrottlingException):
        one_call(client)
    faults.throttle = 0
    one_call(client)
    client.list_routing_profiles(InstanceId=IID)
    assert faults.call_counts() == {GET: 4, "ListRoutingProfiles": 1}


def test_faults_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="throttle"):
        Faults(throttle=1.5)
    faults = Faults()
    with pytest.raises(ValueError, match="latency"):
        faults.latency = -1
    with pytest.raises(TypeError):
        Faults(slow=True)  # type: ignore[call-arg]
