"""The metrics endpoint's tests share the simulated centre with its queues discovered, in
embedded mode, and an API token that reads it."""

import pytest

from connectmetrics.api.auth import issue_token
from connectmetrics.models import ConnectInstance
from tests.api_support import simulated_centre


@pytest.fixture
def centre(api_embedded: None) -> ConnectInstance:
    """The simulated centre, its 20 queues discovered."""
    return simulated_centre()


@pytest.fixture
def token(centre: ConnectInstance) -> str:
    return issue_token("Workforce tool", [centre])[1]


@pytest.fixture
def queue_ids(centre: ConnectInstance) -> list[str]:
    return sorted(centre.queues.values_list("queue_id", flat=True))
