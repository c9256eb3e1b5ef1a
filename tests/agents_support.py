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


def busy_hour_clock() -> dict[str, str]:
    """The product's clock (dashboard/lib/clock.py) run from the latest 12:30 UTC, at real
    speed, as the three settings (or environment variables) that choose it. The simulated
    centre's shifts and opening hours are UTC hours (connectmetrics/simulator/topology.py):
    at 12:30 every day shift is on and every queue open, so a floor of 150 agents has more
    than 100 logged in and contacts wait, whatever the hour the suite runs (at 18:00 UTC a
    third of them, at 22:00 the night shift alone, on the queues open round the clock)."""
    now = time.time()
    busy = datetime.fromtimestamp(now, UTC).replace(hour=12, minute=30, second=0, microsecond=0)
    if busy.timestamp() > now:
        busy -= timedelta(days=1)
    return {
        "WALLBOARD_CLOCK_SPEED": "1",
        "WALLBOARD_CLOCK_EPOCH": repr(now),
        "WALLBOARD_CLOCK_START": busy.isoformat(),
    }


def data_now(clock: dict[str, str]) -> float:
    """Now on the clock `busy_hour_clock()` gave, in epoch seconds."""
    start = datetime.fromisoformat(clock["WALLBOARD_CLOCK_START"]).timestamp()
    return start + time.time() - float(clock["WALLBOARD_CLOCK_EPOCH"])


def at_the_busy_hour(settings: Any) -> None:
    """Run the product's clock in this process from the latest 12:30 UTC (busy_hour_clock)."""
    clock = busy_hour_clock()
    settings.WALLBOARD_CLOCK_SPEED = 1
    settings.WALLBOARD_CLOCK_EPOCH = float(clock["WALLBOARD_CLOCK_EPOCH"])
    settings.WALLBOARD_CLOCK_START = clock["WALLBOARD_CLOCK_START"]
