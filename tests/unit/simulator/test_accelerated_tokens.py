"""A simulated centre on an accelerated clock (an endurance run, dashboard/lib/clock.py):
its data moves at the clock's speed, but a NextToken lasts AWS's real five minutes, so a
paged fetch still gets its next page."""

import pytest
from botocore.exceptions import ClientError

from connectmetrics.connectapi import catalogue
from connectmetrics.simulator import SimulatedCentre
from tests.simulator_support import IID, MORNING, Clock, error_of

SPEED = 1440


def test_a_next_token_lasts_five_real_minutes_on_a_fast_clock() -> None:
    clock = Clock(MORNING)
    client = SimulatedCentre(7, agents=300, clock=clock, clock_speed=SPEED).client()
    profiles = {"RoutingProfiles": [p.id for p in SimulatedCentre(7, agents=300).topology.profiles]}
    token = client.get_current_user_data(InstanceId=IID, Filters=profiles, MaxResults=10)[
        "NextToken"
    ]
    # A second later in real time is 24 minutes of the centre's time: the page still comes.
    clock.now += SPEED
    client.get_current_user_data(InstanceId=IID, Filters=profiles, MaxResults=10, NextToken=token)
    clock.now = MORNING + catalogue.NEXT_TOKEN_TTL_SECONDS * SPEED
    with pytest.raises(ClientError) as caught:
        client.get_current_user_data(InstanceId=IID, Filters=profiles, NextToken=token)
    assert "expired" in error_of(caught)[2]
