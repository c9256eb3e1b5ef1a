"""Requests for connectmetrics.connectapi.rules: RULE_CASES break exactly one rule each, VALID_CASES
break none. tests/unit/test_rules.py checks them against the rules in process;
tests/unit/simulator/test_paging_and_rules.py sends them through the simulated centre,
so each rule is tested in both."""

from typing import Any

import pytest

from connectmetrics.connectapi import catalogue
from connectmetrics.connectapi.rules import INVALID_PARAMETER as IP
from connectmetrics.connectapi.rules import INVALID_REQUEST as IR

INSTANCE = "0b8f3f4c-8a5e-4c2a-9a57-3d0c7e7b0a11"
ARN_BASE = f"arn:aws:connect:eu-west-2:123456789012:instance/{INSTANCE}"


def uuid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


Q1, Q2, RP1 = uuid(1), uuid(2), uuid(3)


def metric(name: str) -> dict[str, str]:
    return {"Name": name, "Unit": str(catalogue.METRICS[name].unit)}


def request(**changes: Any) -> dict[str, Any]:
    """A valid request (one queue, AGENTS_ONLINE) with top-level keys changed; None removes."""
    base: dict[str, Any] = {
        "Filters": {"Queues": [Q1]},
        "CurrentMetrics": [metric("AGENTS_ONLINE")],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def case(
    req: Any, field: str, error: str, words: str, id: str
) -> Any:  # a pytest.param; Any because pytest's ParameterSet is private
    return pytest.param(req, field, error, words, id=id)


ROUTING = [metric("AGENTS_ONLINE")]
WRONG_UNIT = {catalogue.Unit.COUNT: "SECONDS", catalogue.Unit.SECONDS: "COUNT"}

# Each request breaks exactly one rule: (request, field, exception, words in the message).
RULE_CASES = [
    # The body and its keys.
    case([], "", IR, "JSON object", "body-not-an-object"),
    case(request(Queue=[Q1]), "", IR, "Queue is not a parameter", "unknown-parameter"),
    case(
        request(Filters={"Queues": [Q1], "Agents": ["a"]}),
        "Filters",
        IR,
        "Agents is not a filter",
        "unknown-filter",
    ),
    # Required fields.
    case(request(Filters=None), "Filters", IP, "is required", "filters-required"),
    case(request(CurrentMetrics=None), "CurrentMetrics", IP, "is required", "metrics-required"),
    case(request(Filters=["Queues"]), "Filters", IP, "must be an object", "filters-not-object"),
    # Queues: 1-100 IDs or ARNs.
    case(
        request(Filters={"Queues": Q1}), "Filters.Queues", IP, "must be a list", "queues-not-list"
    ),
    case(request(Filters={"Queues": [7]}), "Filters.Queues", IP, "string", "queue-not-string"),
    case(request(Filters={"Queues": []}), "Filters.Queues", IP, "at least 1", "queues-empty"),
    case(
        request(Filters={"Queues": [uuid(i) for i in range(101)]}),
        "Filters.Queues",
        IP,
        "at most 100",
        "queues-101",
    ),
    case(
        request(Filters={"Queues": ["sales"]}), "Filters.Queues", IP, "queue ID", "queue-malformed"
    ),
    case(
        request(Filters={"Queues": [f"{ARN_BASE}/routing-profile/{RP1}"]}),
        "Filters.Queues",
        IP,
        "queue ARN",
        "queue-given-a-routing-profile-arn",
    ),
    case(
        request(
            Filters={"Queues": [f"arn:aws:connect:eu-west-2:1234:instance/{INSTANCE}/queue/{Q1}"]}
        ),
        "Filters.Queues",
        IP,
        "queue ARN",
        "queue-arn-bad-account",
    ),
    # RoutingProfiles: 1-100 IDs or ARNs, never with Queues.
    case(
        request(Filters={"RoutingProfiles": []}),
        "Filters.RoutingProfiles",
        IP,
        "at least 1",
        "routing-profiles-empty",
    ),
    case(
        request(Filters={"RoutingProfiles": [uuid(i) for i in range(101)]}),
        "Filters.RoutingProfiles",
        IP,
        "at most 100",
        "routing-profiles-101",
    ),
    case(
        request(Filters={"RoutingProfiles": [f"{ARN_BASE}/queue/{Q1}"]}),
        "Filters.RoutingProfiles",
        IP,
        "routing-profile ARN",
        "routing-profile-given-a-queue-arn",
    ),
    case(
        request(Filters={"Queues": [Q1], "RoutingProfiles": [RP1]}),
        "Filters",
        IR,
        "cannot be filtered together",
        "queues-and-routing-profiles",
    ),
    case(
        request(Filters={"Channels": ["VOICE"]}),
        "Filters",
        IR,
        "Queues or RoutingProfiles",
        "neither-queues-nor-routing-profiles",
    ),
    # Channels: at most 4, from the enum.
    case(
        request(Filters={"Queues": [Q1], "Channels": ["VOICE", "CHAT", "TASK", "EMAIL", "VOICE"]}),
        "Filters.Channels",
        IP,
        "at most 4",
        "channels-5",
    ),
    case(
        request(Filters={"Queues": [Q1], "Channels": ["FAX"]}),
        "Filters.Channels",
        IP,
        "not a channel",
        "channel-unknown",
    ),
    # RoutingStepExpressions: <=50, exactly one queue, grouping by ROUTING_STEP_EXPRESSION.
    case(
        request(
            Filters={"Queues": [Q1], "RoutingStepExpressions": [f"e{i}" for i in range(51)]},
            Groupings=["ROUTING_STEP_EXPRESSION"],
        ),
        "Filters.RoutingStepExpressions",
        IP,
        "at most 50",
        "routing-step-expressions-51",
    ),
    case(
        request(
            Filters={"Queues": [Q1], "RoutingStepExpressions": ["x" * 3001]},
            Groupings=["ROUTING_STEP_EXPRESSION"],
        ),
        "Filters.RoutingStepExpressions",
        IP,
        "3000",
        "routing-step-expression-too-long",
    ),
    case(
        request(
            Filters={"Queues": [Q1, Q2], "RoutingStepExpressions": ["e"]},
            Groupings=["ROUTING_STEP_EXPRESSION"],
        ),
        "Filters.RoutingStepExpressions",
        IR,
        "exactly one queue",
        "routing-step-expressions-two-queues",
    ),
    case(
        request(
            Filters={"RoutingProfiles": [RP1], "RoutingStepExpressions": ["e"]},
            Groupings=["ROUTING_STEP_EXPRESSION"],
        ),
        "Filters.RoutingStepExpressions",
        IR,
        "exactly one queue",
        "routing-step-expressions-no-queue",
    ),
    case(
        request(Filters={"Queues": [Q1], "RoutingStepExpressions": ["e"]}),
        "Filters.RoutingStepExpressions",
        IR,
        "ROUTING_STEP_EXPRESSION",
        "routing-step-expressions-no-grouping",
    ),
    # AgentStatuses (<=50), Subtypes (<=10), ValidationTestTypes (<=10), all with Queues.
    case(
        request(Filters={"Queues": [Q1], "AgentStatuses": [uuid(i) for i in range(51)]}),
        "Filters.AgentStatuses",
        IP,
        "at most 50",
        "agent-statuses-51",
    ),
    case(
        request(Filters={"RoutingProfiles": [RP1], "AgentStatuses": [uuid(9)]}),
        "Filters.AgentStatuses",
        IR,
        "Queues as the primary filter",
        "agent-statuses-without-queues",
    ),
    case(
        request(Filters={"Queues": [Q1], "Subtypes": [f"connect:S{i}" for i in range(11)]}),
        "Filters.Subtypes",
        IP,
        "at most 10",
        "subtypes-11",
    ),
    case(
        request(Filters={"Queues": [Q1], "Subtypes": ["s" * 101]}),
        "Filters.Subtypes",
        IP,
        "100",
        "subtype-too-long",
    ),
    case(
        request(Filters={"RoutingProfiles": [RP1], "Subtypes": ["connect:Chat"]}),
        "Filters.Subtypes",
        IR,
        "Queues as the primary filter",
        "subtypes-without-queues",
    ),
    case(
        request(Filters={"Queues": [Q1], "ValidationTestTypes": [f"T{i}" for i in range(11)]}),
        "Filters.ValidationTestTypes",
        IP,
        "at most 10",
        "validation-test-types-11",
    ),
    case(
        request(Filters={"RoutingProfiles": [RP1], "ValidationTestTypes": ["T"]}),
        "Filters.ValidationTestTypes",
        IR,
        "Queues as the primary filter",
        "validation-test-types-without-queues",
    ),
    # Groupings: at most 2, from the enum, no duplicates.
    case(
        request(
            Filters={"Queues": [Q1], "Channels": ["VOICE"]},
            Groupings=["QUEUE", "CHANNEL", "ROUTING_PROFILE"],
        ),
        "Groupings",
        IP,
        "at most 2",
        "groupings-3",
    ),
    case(request(Groupings=["AGENT"]), "Groupings", IP, "not a grouping", "grouping-unknown"),
    case(request(Groupings=["QUEUE", "QUEUE"]), "Groupings", IP, "twice", "grouping-twice"),
    case(request(Groupings="QUEUE"), "Groupings", IP, "must be a list", "groupings-not-list"),
    # CHANNEL grouping needs a Channels filter.
    case(
        request(Groupings=["QUEUE", "CHANNEL"]),
        "Groupings",
        IR,
        "CHANNEL grouping requires a Channels filter",
        "channel-grouping-without-channels",
    ),
    # AGENT_STATUS: QUEUE first, a Queues filter, only AGENTS_ONLINE.
    case(
        request(Groupings=["AGENT_STATUS"]),
        "Groupings",
        IR,
        "QUEUE as the primary",
        "agent-status-primary",
    ),
    case(
        request(Filters={"RoutingProfiles": [RP1]}, Groupings=["QUEUE", "AGENT_STATUS"]),
        "Groupings",
        IR,
        "requires a Queues filter",
        "agent-status-without-queues",
    ),
    case(
        request(
            Groupings=["QUEUE", "AGENT_STATUS"],
            CurrentMetrics=[metric("AGENTS_ONLINE"), metric("AGENTS_AVAILABLE")],
        ),
        "CurrentMetrics",
        IR,
        "only AGENTS_ONLINE",
        "agent-status-other-metric",
    ),
    # SUBTYPE and VALIDATION_TEST_TYPE as secondary grouping: under QUEUE, with Queues.
    case(
        request(
            Filters={"Queues": [Q1], "Channels": ["CHAT"]},
            Groupings=["CHANNEL", "SUBTYPE"],
        ),
        "Groupings",
        IR,
        "QUEUE as the primary",
        "subtype-secondary-not-under-queue",
    ),
    case(
        request(Filters={"RoutingProfiles": [RP1]}, Groupings=["QUEUE", "VALIDATION_TEST_TYPE"]),
        "Groupings",
        IR,
        "requires a Queues filter",
        "validation-test-type-secondary-without-queues",
    ),
    # CurrentMetrics: non-empty, known names, the right Unit, no duplicates.
    case(request(CurrentMetrics=[]), "CurrentMetrics", IP, "at least one", "metrics-empty"),
    case(
        request(CurrentMetrics={"Name": "AGENTS_ONLINE"}),
        "CurrentMetrics",
        IP,
        "list",
        "metrics-not-list",
    ),
    case(
        request(CurrentMetrics=["AGENTS_ONLINE"]),
        "CurrentMetrics",
        IP,
        "object",
        "metric-not-object",
    ),
    case(
        request(CurrentMetrics=[{"Name": "AGENTS_BUSY", "Unit": "COUNT"}]),
        "CurrentMetrics",
        IP,
        "not a metric",
        "metric-unknown",
    ),
    case(
        request(CurrentMetrics=[{"Name": "AGENTS_ONLINE"}]),
        "CurrentMetrics",
        IP,
        "needs its Unit",
        "metric-without-unit",
    ),
    case(
        request(CurrentMetrics=[metric("AGENTS_ONLINE"), metric("AGENTS_ONLINE")]),
        "CurrentMetrics",
        IP,
        "twice",
        "metric-twice",
    ),
    case(
        request(CurrentMetrics=[{**metric("AGENTS_ONLINE"), "Statistic": "MAX"}]),
        "CurrentMetrics",
        IP,
        "Statistic is not a field",
        "metric-unknown-field",
    ),
    case(
        request(
            CurrentMetrics=[{"MetricId": "arn:aws:connect:eu-west-2:aws:metric/AGENTS_ONLINE"}]
        ),
        "CurrentMetrics",
        IP,
        "MetricId",
        "metric-id",
    ),
    *[
        case(
            request(CurrentMetrics=[{"Name": name, "Unit": WRONG_UNIT[m.unit]}]),
            "CurrentMetrics",
            IP,
            f"{name} takes Unit {m.unit}",
            f"wrong-unit-{name}",
        )
        for name, m in catalogue.METRICS.items()
    ],
    # SortCriteria: at most one, known metric, order enum, not SLOTS_*.
    case(
        request(
            SortCriteria=[
                {"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"},
                {"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "DESCENDING"},
            ]
        ),
        "SortCriteria",
        IP,
        "at most 1",
        "sort-two",
    ),
    case(
        request(SortCriteria=[{"SortByMetric": "QUEUE_NAME", "SortOrder": "ASCENDING"}]),
        "SortCriteria",
        IP,
        "not a metric",
        "sort-unknown-metric",
    ),
    case(
        request(SortCriteria=[{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "UP"}]),
        "SortCriteria",
        IP,
        "SortOrder",
        "sort-bad-order",
    ),
    case(
        request(SortCriteria=[{"SortByMetric": "AGENTS_ONLINE"}]),
        "SortCriteria",
        IP,
        "SortOrder",
        "sort-without-order",
    ),
    case(
        request(SortCriteria={"SortByMetric": "AGENTS_ONLINE", "SortOrder": "ASCENDING"}),
        "SortCriteria",
        IP,
        "list",
        "sort-not-list",
    ),
    *[
        case(
            request(SortCriteria=[{"SortByMetric": name, "SortOrder": "DESCENDING"}]),
            "SortCriteria",
            IP,
            f"sorting on {name} is not supported",
            f"sort-{name}",
        )
        for name in sorted(catalogue.UNSORTABLE_METRICS)
    ],
    # MaxResults 1-100, a whole number; NextToken a string.
    case(request(MaxResults=0), "MaxResults", IP, "from 1 to 100", "max-results-0"),
    case(request(MaxResults=101), "MaxResults", IP, "from 1 to 100", "max-results-101"),
    case(request(MaxResults="10"), "MaxResults", IP, "whole number", "max-results-string"),
    case(request(MaxResults=True), "MaxResults", IP, "whole number", "max-results-bool"),
    case(request(MaxResults=10.5), "MaxResults", IP, "whole number", "max-results-float"),
    case(request(NextToken=""), "NextToken", IP, "non-empty string", "next-token-empty"),
    case(request(NextToken=12), "NextToken", IP, "non-empty string", "next-token-number"),
    # InstanceId: 1-100 characters, a UUID or an instance ARN.
    case(request(InstanceId=""), "InstanceId", IP, "1 to 100", "instance-empty"),
    case(request(InstanceId="i" * 101), "InstanceId", IP, "1 to 100", "instance-101"),
    case(request(InstanceId="my-instance"), "InstanceId", IP, "instance ID", "instance-malformed"),
    case(
        request(InstanceId=f"{ARN_BASE}/queue"),
        "InstanceId",
        IP,
        "instance ARN",
        "instance-arn-with-a-tail",
    ),
]

# Requests every rule lets through (the simulator must answer them).
VALID_CASES = [
    pytest.param(request(), id="minimal"),
    pytest.param(request(InstanceId=INSTANCE), id="instance-id"),
    pytest.param(request(InstanceId=ARN_BASE), id="instance-arn"),
    pytest.param(
        request(Filters={"Queues": [Q1, f"{ARN_BASE}/queue/{Q2}", f"{ARN_BASE}/queue/agent/{Q2}"]}),
        id="queue-ids-and-arns",
    ),
    pytest.param(request(Filters={"Queues": [uuid(i) for i in range(100)]}), id="queues-100"),
    pytest.param(
        request(
            Filters={
                "RoutingProfiles": [uuid(i) for i in range(99)]
                + [f"{ARN_BASE}/routing-profile/{RP1}"]
            }
        ),
        id="routing-profiles-100",
    ),
    pytest.param(
        request(
            Filters={"Queues": [Q1], "Channels": ["VOICE", "CHAT", "TASK", "EMAIL"]},
            Groupings=["QUEUE", "CHANNEL"],
        ),
        id="channels-4-with-email",
    ),
    pytest.param(
        request(Filters={"Queues": [Q1], "Channels": []}), id="channels-empty-is-no-filter"
    ),
    pytest.param(
        request(
            Filters={"Queues": [Q1], "RoutingStepExpressions": [f"e{i}" for i in range(50)]},
            Groupings=["ROUTING_STEP_EXPRESSION"],
        ),
        id="routing-step-expressions-50",
    ),
    pytest.param(
        request(
            Filters={
                "Queues": [Q1],
                "AgentStatuses": [uuid(i) for i in range(50)],
                "Subtypes": [f"connect:S{i}" for i in range(10)],
                "ValidationTestTypes": [f"T{i}" for i in range(10)],
            }
        ),
        id="agent-statuses-subtypes-validation-test-types-at-their-limits",
    ),
    pytest.param(
        request(
            Filters={"Queues": [Q1]},
            Groupings=["ROUTING_PROFILE"],
            CurrentMetrics=[metric("AGENTS_ONLINE"), metric("AGENTS_AVAILABLE")],
        ),
        id="routing-profile-grouping-agent-metrics-with-queues",
    ),
    pytest.param(
        request(
            Filters={"RoutingProfiles": [RP1]},
            Groupings=["ROUTING_PROFILE", "QUEUE"],
            CurrentMetrics=[
                metric(name) for name in sorted(catalogue.NEEDS_ROUTING_PROFILE_FILTER)
            ],
        ),
        id="routing-profile-grouping-queue-metrics-with-routing-profiles",
    ),
    pytest.param(request(Groupings=["QUEUE", "AGENT_STATUS"]), id="agent-status-under-queue"),
    pytest.param(request(Groupings=["QUEUE", "SUBTYPE"]), id="subtype-under-queue"),
    pytest.param(request(Groupings=["SUBTYPE"]), id="subtype-primary"),
    pytest.param(
        request(Groupings=["QUEUE", "VALIDATION_TEST_TYPE"]), id="validation-test-type-under-queue"
    ),
    pytest.param(
        request(
            CurrentMetrics=[metric(name) for name in catalogue.METRICS],
            SortCriteria=[{"SortByMetric": "OLDEST_CONTACT_AGE", "SortOrder": "ASCENDING"}],
        ),
        id="every-metric-sorted",
    ),
    pytest.param(
        request(SortCriteria=[{"SortByMetric": "CONTACTS_IN_QUEUE", "SortOrder": "DESCENDING"}]),
        id="sort-metric-not-among-metrics",
    ),
    pytest.param(request(SortCriteria=[]), id="sort-empty-means-default"),
    pytest.param(request(MaxResults=1), id="max-results-1"),
    pytest.param(request(MaxResults=100), id="max-results-100"),
    pytest.param({**request(), "Groupings": None, "SortCriteria": None}, id="nulls-are-absent"),
]
