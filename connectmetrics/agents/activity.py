"""The activity the Connect console shows for an agent, from one UserData.

GetCurrentUserData's `Status` is what the agent set in the CCP: it stays
"Available" while they are on a contact. The console derives the activity from
the agent's contacts instead, the most urgent first: any contact in Error, else
Missed, else Rejected, else On contact (connected, on hold, or an outbound one
being placed), else After contact work (a contact ENDED), else Incoming, else a
custom status (Break, Lunch...) the agent set, else Available. A pure function
of the UserData, so every combination of contact states can be checked.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CONNECTED = "CONNECTED"
ON_HOLD = "CONNECTED_ONHOLD"
ENDED = "ENDED"
INCOMING_STATES = frozenset({"INCOMING", "PENDING", "CONNECTING"})
OUTBOUND = "OUTBOUND"

# Contact-derived activities, most urgent first (a status-derived one ranks after them).
CONTACT_ACTIVITIES = (
    "error",
    "missed",
    "rejected",
    "on_contact",
    "after_contact_work",
    "incoming",
)
_BY_STATE = {
    "ERROR": "error",
    "MISSED": "missed",
    "REJECTED": "rejected",
    CONNECTED: "on_contact",
    ON_HOLD: "on_contact",
    ENDED: "after_contact_work",
}
# An agent status's type (ListAgentStatuses) -> the activity it shows without contacts.
_BY_STATUS_TYPE = {"ROUTABLE": "available", "CUSTOM": "custom", "OFFLINE": "offline"}


@dataclass(frozen=True)
class Activity:
    name: str  # one of socket_messages.Activity
    # Epoch seconds: when it started, as far as the UserData tells (a contact's
    # timestamps; for a status, Status.StatusStartTimestamp: None when absent).
    since: float | None
    # The contact the activity comes from (the most urgent, longest in it); None
    # for a status-derived activity.
    contact: Mapping[str, Any] | None
    on_hold: bool


def epoch(value: object) -> float:
    """A wire timestamp (boto3 gives datetimes, raw JSON epoch seconds) in epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    raise ValueError(f"not a timestamp: {value!r}")


def contact_activity(contact: Mapping[str, Any]) -> str:
    state = contact.get("AgentContactState", "")
    if state in INCOMING_STATES:
        # An outbound contact being placed is already the agent's contact.
        return "on_contact" if contact.get("InitiationMethod") == OUTBOUND else "incoming"
    return _BY_STATE.get(state, "incoming")


def _started(contact: Mapping[str, Any]) -> float:
    # A contact on hold keeps the StateStartTimestamp of when it was connected.
    connected = contact.get("ConnectedToAgentTimestamp")
    if contact.get("AgentContactState") in (CONNECTED, ON_HOLD) and connected is not None:
        return epoch(connected)
    return epoch(contact["StateStartTimestamp"])


def status_activity(status_name: str, status_type: str | None) -> str:
    """The activity of an agent with no contact: by their status's type when known."""
    if status_type in _BY_STATUS_TYPE:
        return _BY_STATUS_TYPE[status_type]
    return {"Available": "available", "Offline": "offline"}.get(status_name, "custom")


def activity_of(user_data: Mapping[str, Any], status_type: str | None = None) -> Activity:
    """The console's activity of one agent; `status_type` is the type of their Status
    (ROUTABLE, CUSTOM or OFFLINE, from the directory), None when not known."""
    contacts: Sequence[Mapping[str, Any]] = user_data.get("Contacts") or []
    if contacts:
        ranked = sorted(
            contacts, key=lambda c: (CONTACT_ACTIVITIES.index(contact_activity(c)), _started(c))
        )
        top = ranked[0]
        name = contact_activity(top)
        on_hold = any(c.get("AgentContactState") == ON_HOLD for c in contacts)
        return Activity(name, _started(top), top, on_hold)
    status = user_data.get("Status") or {}
    name = status_activity(str(status.get("StatusName", "")), status_type)
    start = status.get("StatusStartTimestamp")
    return Activity(name, epoch(start) if start is not None else None, None, False)
