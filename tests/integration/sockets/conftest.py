"""The sockets' set-up: embedded mode on the in-memory channel layer, a closed fan-out
after each test, and a wallboard of one queue filter with a TV's display token."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from channels.layers import channel_layers

from connectmetrics.models import QueueFilter
from dashboard import fanout
from dashboard.models import DisplayToken, Wallboard
from tests.modes import use_embedded
from tests.socket_support import IN_MEMORY, simulated_centre


@pytest.fixture(autouse=True)
def embedded(settings: Any) -> Iterator[None]:
    settings.CHANNEL_LAYERS = IN_MEMORY
    use_embedded(settings)
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
async def close_the_fanout() -> AsyncIterator[None]:
    yield
    await fanout.hub().close()


@pytest.fixture
def queue_filter(transactional_db: None) -> QueueFilter:
    return QueueFilter.objects.create(name="Sales queues", instance=simulated_centre("Simulated"))


@pytest.fixture
def wallboard(queue_filter: QueueFilter) -> Wallboard:
    wallboard = Wallboard.objects.create(slug="sales", title="Sales floor", ticker="Welcome")
    wallboard.add_panel(queue_filter)
    return wallboard


@pytest.fixture
def other_wallboard(queue_filter: QueueFilter) -> Wallboard:
    wallboard = Wallboard.objects.create(slug="service", title="Service")
    wallboard.add_panel(queue_filter)
    return wallboard


@pytest.fixture
def tv_token(wallboard: Wallboard) -> tuple[DisplayToken, str]:
    return DisplayToken.issue(wallboard, "Floor 2 TV")
