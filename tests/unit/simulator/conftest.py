"""The simulated centre (seed 7) at a moment the test moves, and boto3 clients on it: strict
(botocore validates first) and lax (the simulator's own checks answer). A module
overrides `clock` or `centre` for another moment or floor."""

import pytest
from botocore.client import BaseClient
from botocore.config import Config

from connectmetrics.simulator import SimulatedCentre
from tests.simulator_support import MORNING, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def centre(clock: Clock) -> SimulatedCentre:
    return SimulatedCentre(7, clock=clock)


@pytest.fixture
def client(centre: SimulatedCentre) -> BaseClient:
    return centre.client()


@pytest.fixture
def lax_client(centre: SimulatedCentre) -> BaseClient:
    """No client-side validation, so the simulator's own checks are what answers."""
    return centre.client(
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )
