"""The metric catalogue: every name, unit and label the product uses.

One place for each fact. Admin forms, the simulator, the metrics endpoint and
the wallboard pages all read the names, units and console labels from here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    COUNT = "COUNT"
    SECONDS = "SECONDS"
    PERCENT = "PERCENT"


class Channel(StrEnum):
    VOICE = "VOICE"
    CHAT = "CHAT"
    TASK = "TASK"
    EMAIL = "EMAIL"


class Grouping(StrEnum):
    QUEUE = "QUEUE"
    CHANNEL = "CHANNEL"
    ROUTING_PROFILE = "ROUTING_PROFILE"
    ROUTING_STEP_EXPRESSION = "ROUTING_STEP_EXPRESSION"
    AGENT_STATUS = "AGENT_STATUS"
    SUBTYPE = "SUBTYPE"
    VALIDATION_TEST_TYPE = "VALIDATION_TEST_TYPE"


# Where each grouping's value stands in an answer row's Dimensions.
DIMENSION_FIELDS: dict[str, str] = {
    Grouping.QUEUE: "Queue",
    Grouping.CHANNEL: "Channel",
    Grouping.ROUTING_PROFILE: "RoutingProfile",
    Grouping.ROUTING_STEP_EXPRESSION: "RoutingStepExpression",
    Grouping.AGENT_STATUS: "AgentStatus",
    Grouping.SUBTYPE: "Subtype",
    Grouping.VALIDATION_TEST_TYPE: "ValidationTestType",
}


class SortOrder(StrEnum):
    ASCENDING = "ASCENDING"
    DESCENDING = "DESCENDING"


@dataclass(frozen=True)
class Metric:
    name: str
    unit: Unit
    label: str
    description: str
    # How rows combine into a total: "sum", "max" (the oldest contact) or "none".
    # Whether a sum is true also depends on the grouping: see total_of().
    total: str
    # Whether a larger value is worse for the contact centre (used as the
    # default direction of a new threshold).
    higher_is_worse: bool


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("AGENTS_ONLINE", Unit.COUNT, "Online", "Agents logged in", "sum", False),
        Metric(
            "AGENTS_AVAILABLE", Unit.COUNT, "Available", "Agents ready for a contact", "sum", False
        ),
        Metric(
            "AGENTS_ON_CALL",
            Unit.COUNT,
            "On contact",
            "Agents on a contact (old name)",
            "sum",
            False,
        ),
        Metric("AGENTS_ON_CONTACT", Unit.COUNT, "On contact", "Agents on a contact", "sum", False),
        Metric(
            "AGENTS_NON_PRODUCTIVE", Unit.COUNT, "NPT", "Agents in non-productive time", "sum", True
        ),
        Metric(
            "AGENTS_AFTER_CONTACT_WORK",
            Unit.COUNT,
            "ACW",
            "Agents in after-contact work",
            "sum",
            True,
        ),
        Metric("AGENTS_ERROR", Unit.COUNT, "Error", "Agents in an error state", "sum", True),
        Metric("AGENTS_STAFFED", Unit.COUNT, "Staffed", "Agents staffed", "sum", False),
        Metric("CONTACTS_IN_QUEUE", Unit.COUNT, "In queue", "Contacts waiting", "sum", True),
        Metric("CONTACTS_SCHEDULED", Unit.COUNT, "Scheduled", "Callbacks scheduled", "sum", True),
        Metric(
            "OLDEST_CONTACT_AGE",
            Unit.SECONDS,
            "Oldest",
            "Age of the oldest waiting contact",
            "max",
            True,
        ),
        Metric("SLOTS_ACTIVE", Unit.COUNT, "Active", "Slots in use", "sum", False),
        Metric("SLOTS_AVAILABLE", Unit.COUNT, "Availability", "Slots free", "sum", False),
        Metric(
            "ESTIMATED_WAIT_TIME",
            Unit.SECONDS,
            "Estimated wait time",
            "Estimated wait",
            "none",
            True,
        ),
    )
}

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)

# The metrics shown by default on a new queue filter and wallboard.
DEFAULT_METRICS: tuple[str, ...] = (
    "AGENTS_ONLINE",
    "AGENTS_AVAILABLE",
    "AGENTS_ON_CONTACT",
    "AGENTS_AFTER_CONTACT_WORK",
    "CONTACTS_IN_QUEUE",
    "OLDEST_CONTACT_AGE",
)

# Metrics drawn as a trend line over the last hour.
TREND_METRICS: tuple[str, ...] = ("CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE", "AGENTS_AVAILABLE")

# Sorting on these is refused by GetCurrentMetricData.
UNSORTABLE_METRICS: frozenset[str] = frozenset({"SLOTS_ACTIVE", "SLOTS_AVAILABLE"})

# Metrics that need a RoutingProfiles filter when grouped by ROUTING_PROFILE.
NEEDS_ROUTING_PROFILE_FILTER: frozenset[str] = frozenset(
    {"CONTACTS_SCHEDULED", "CONTACTS_IN_QUEUE", "OLDEST_CONTACT_AGE"}
)

DEFAULT_SORT = ("AGENTS_ONLINE", SortOrder.DESCENDING)

# Limits of GetCurrentMetricData (see docs/connect-api.md).
MAX_QUEUES = 100
MAX_ROUTING_PROFILES = 100
MAX_CHANNELS = 4
MAX_GROUPINGS = 2
MAX_ROUTING_STEP_EXPRESSIONS = 50
MAX_AGENT_STATUSES = 50
MAX_SUBTYPES = 10
MAX_VALIDATION_TEST_TYPES = 10
MAX_RESULTS = 100
MAX_SORT_CRITERIA = 1
NEXT_TOKEN_TTL_SECONDS = 300

# The InstanceId the simulated contact centre answers to unless told otherwise.
SIMULATED_INSTANCE_ID = "00000000-0000-4000-8000-000000000001"


# Who a COUNT metric counts: an agent may serve many queues and channels but
# has one routing profile; a waiting contact is in one queue and one channel.
_COUNTS_CONTACTS = frozenset({"CONTACTS_IN_QUEUE", "CONTACTS_SCHEDULED"})
_CONTACT_GROUPINGS = frozenset({Grouping.QUEUE, Grouping.CHANNEL})


def total_of(name: str, groupings: Sequence[str]) -> str:
    """How a column adds up over the rows of a grouping: "sum", "max" or "none".

    Summing agents over queue rows would count an agent once per queue they
    serve, so such a total is left out rather than shown wrong.
    """
    kind = METRICS[name].total
    if kind != "sum" or len(groupings) == 0:
        return kind
    if name in _COUNTS_CONTACTS:
        return "sum" if set(groupings) <= _CONTACT_GROUPINGS else "none"
    return "sum" if list(groupings) == [Grouping.ROUTING_PROFILE] else "none"


def label(name: str) -> str:
    return METRICS[name].label


def format_duration(seconds: float) -> str:
    """m:ss, or h:mm:ss past an hour, as the Connect console shows durations."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
