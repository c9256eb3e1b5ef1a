"""The console's activity of an agent, derived from every combination of contact
states (hypothesis), never from the status the agent set."""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectmetrics.agents.activity import activity_of
from connectmetrics.simulator.userdata import CONTACT_STATES

METHODS = ["INBOUND", "OUTBOUND", "CALLBACK", "TRANSFER", "API"]
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def expected(states_methods: list[tuple[str, str]], status_type: str) -> str:
    """The console's rule, written out as the issue states it."""
    states = {state for state, _ in states_methods}
    outbound = any(
        method == "OUTBOUND" and state in ("INCOMING", "PENDING", "CONNECTING")
        for state, method in states_methods
    )
    if "ERROR" in states:
        return "error"
    if "MISSED" in states:
        return "missed"
    if "REJECTED" in states:
        return "rejected"
    if states & {"CONNECTED", "CONNECTED_ONHOLD"} or outbound:
        return "on_contact"
    if "ENDED" in states:
        return "after_contact_work"
    if states:
        return "incoming"
    return {"ROUTABLE": "available", "CUSTOM": "custom", "OFFLINE": "offline"}[status_type]


def user_data(contacts: list[dict[str, Any]], status_name: str) -> dict[str, Any]:
    return {
        "User": {"Id": "u1"},
        "Status": {"StatusName": status_name, "StatusStartTimestamp": T0},
        "Contacts": contacts,
    }


contact_lists = st.lists(
    st.tuples(
        st.sampled_from(CONTACT_STATES),
        st.sampled_from(METHODS),
        st.integers(min_value=0, max_value=3600),
    ),
    max_size=4,
)


@given(contacts=contact_lists, status_type=st.sampled_from(["ROUTABLE", "CUSTOM", "OFFLINE"]))
def test_every_combination_of_contact_states_gives_the_consoles_activity(
    contacts: list[tuple[str, str, int]], status_type: str
) -> None:
    wire = [
        {
            "ContactId": f"c{i}",
            "Channel": "CHAT",
            "InitiationMethod": method,
            "AgentContactState": state,
            "StateStartTimestamp": T0 + timedelta(seconds=offset),
        }
        for i, (state, method, offset) in enumerate(contacts)
    ]
    # The status the agent set says nothing once they have a contact ("Available" quirk).
    found = activity_of(user_data(wire, "Available"), status_type)

    assert found.name == expected([(s, m) for s, m, _ in contacts], status_type)
    assert found.on_hold == any(state == "CONNECTED_ONHOLD" for state, _, _ in contacts)
    if wire:
        # Time in the activity: from the earliest contact behind it.
        assert found.contact is not None
        behind = [
            c
            for c in wire
            if expected([(c["AgentContactState"], c["InitiationMethod"])], status_type)
            == found.name
        ]
        assert found.since == min(c["StateStartTimestamp"] for c in behind).timestamp()
    else:
        assert found.contact is None and found.since == T0.timestamp()


def test_a_contact_on_hold_counts_from_when_it_was_connected() -> None:
    connected = T0 + timedelta(minutes=2)
    found = activity_of(
        user_data(
            [
                {
                    "AgentContactState": "CONNECTED_ONHOLD",
                    "StateStartTimestamp": T0,
                    "ConnectedToAgentTimestamp": connected,
                    "Channel": "VOICE",
                }
            ],
            "Available",
        ),
        "ROUTABLE",
    )
    assert (found.name, found.on_hold, found.since) == ("on_contact", True, connected.timestamp())


def test_without_the_directory_the_status_name_decides() -> None:
    assert activity_of(user_data([], "Lunch")).name == "custom"
    assert activity_of(user_data([], "Available")).name == "available"
    assert activity_of(user_data([], "Offline")).name == "offline"
