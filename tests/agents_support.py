"""Builders for the agent tests: a simulated centre with a floor of agents, its names
read, and agent sources over it."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from connectmetrics.agents import directory
from connectmetrics.agents.models import AgentSource, Resource
from connectmetrics.connectapi.catalogue import SIMULATED_INSTANCE_ID
from connectmetrics.discovery import discover
from connectmetrics.models import AccessMode, ConnectInstance

GET_USER_DATA = "GetCurrentUserData"


def agent_centre(*, agents: int = 300, seed: int = 7, poll_interval: int = 5) -> ConnectInstance:
    """A simulated instance with `agents` agents, its queues discovered and names read."""
    instance = ConnectInstance.objects.create(
        name="Agent floor",
        region="eu-west-2",
        instance_id=SIMULATED_INSTANCE_ID,
        access_mode=AccessMode.SIMULATED,
        simulator_seed=seed,
        simulator_queues=20,
        simulator_agents=agents,
        poll_interval=poll_interval,
    )
    discover(instance)
    directory.refresh(instance)
    return instance


def whole_floor(instance: ConnectInstance, *, name: str = "Whole floor") -> AgentSource:
    """Every agent of the instance: the agents of all its routing profiles."""
    source = AgentSource.objects.create(
        name=name, instance=instance, resource=Resource.ROUTING_PROFILES
    )
    source.routing_profiles.set(instance.routing_profiles.all())
    return source


def at_the_busy_hour(settings: Any) -> None:
    """Run the product's clock (dashboard/lib/clock.py) from the latest 12:30 UTC, at real
    speed. The simulated centre's shifts are UTC hours (connectmetrics/simulator/topology.py):
    at 12:30 every day shift is on, so a floor of 150 agents has more than 100 logged in
    whatever the hour the suite runs (at 18:00 UTC a third of them, at 03:00 the night shift)."""
    now = time.time()
    busy = datetime.fromtimestamp(now, UTC).replace(hour=12, minute=30, second=0, microsecond=0)
    if busy.timestamp() > now:
        busy -= timedelta(days=1)
    settings.WALLBOARD_CLOCK_SPEED = 1
    settings.WALLBOARD_CLOCK_EPOCH = now
    settings.WALLBOARD_CLOCK_START = busy.isoformat()
