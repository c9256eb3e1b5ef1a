"""Properties of the simulated centre, over requests hypothesis makes up.

- Any valid request: the answer parses with the installed botocore model,
  validates against the response shape, pages add up, and its numbers agree.
- Any invalid request: the simulator raises the exception class the rules name.
"""

import json
from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from connectmetrics.connectapi import catalogue, rules
from connectmetrics.simulator import SimulatedCentre
from tests.simulator_support import DAY0, check_row_invariants

IID = catalogue.SIMULATED_INSTANCE_ID
GROUPINGS = list(catalogue.Grouping)
DIMENSION = {
    "QUEUE": "Queue",
    "CHANNEL": "Channel",
    "ROUTING_PROFILE": "RoutingProfile",
    "ROUTING_STEP_EXPRESSION": "RoutingStepExpression",
    "AGENT_STATUS": "AgentStatus",
    "SUBTYPE": "Subtype",
    "VALIDATION_TEST_TYPE": "ValidationTestType",
}


class Clock:
    def __init__(self) -> None:
        self.now = DAY0

    def __call__(self) -> float:
        return self.now


CLOCK = Clock()
CENTRE = SimulatedCentre(11, queues=12, agents=40, routing_profiles=3, clock=CLOCK)
CLIENT = CENTRE.client(config=Config(retries={"total_max_attempts": 1}))
LAX = CENTRE.client(config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
OUTPUT_SHAPE = CLIENT.meta.service_model.operation_model("GetCurrentMetricData").output_shape
QUEUES = list(CENTRE.topology.queues)
AGENT_QUEUE = next(q for q in QUEUES if q.queue_type == "AGENT")
PROFILES = list(CENTRE.topology.profiles)


@st.composite
def references(draw: st.DrawFn, kind: str) -> list[str]:
    """1-6 queue or routing-profile references, as IDs or ARNs, unknown ones included."""
    if kind == "Queues":
        # Mostly standard queues; an agent queue and an unknown one now and then.
        pool = [(q.id, q.arn) for q in QUEUES if q.queue_type == "STANDARD"]
        pool += [(AGENT_QUEUE.id, AGENT_QUEUE.arn), ("4d3c2b1a-0000-4000-8000-00000000beef",) * 2]
    else:
        pool = [(p.id, p.arn) for p in PROFILES]
    picked = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    return [arn if draw(st.booleans()) else id_ for id_, arn in picked]


@st.composite
def valid_requests(draw: st.DrawFn) -> dict[str, Any]:
    groupings = draw(st.lists(st.sampled_from(GROUPINGS), max_size=2, unique=True))
    metrics = draw(st.lists(st.sampled_from(catalogue.METRIC_NAMES), min_size=1, unique=True))
    kind = draw(st.sampled_from(["Queues", "RoutingProfiles"]))
    if "AGENT_STATUS" in groupings:
        groupings, metrics, kind = ["QUEUE", "AGENT_STATUS"], ["AGENTS_ONLINE"], "Queues"
    if len(groupings) == 2 and groupings[1] in ("SUBTYPE", "VALIDATION_TEST_TYPE"):
        groupings[0], kind = "QUEUE", "Queues"
    if "ROUTING_PROFILE" in groupings and kind == "Queues":
        metrics = [m for m in metrics if m not in catalogue.NEEDS_ROUTING_PROFILE_FILTER] or [
            "AGENTS_ONLINE"
        ]
    filters: dict[str, Any] = {kind: draw(references(kind))}
    channels = draw(st.lists(st.sampled_from(list(catalogue.Channel)), max_size=4))
    if "CHANNEL" in groupings and not channels:
        channels = ["VOICE"]
    if channels:
        filters["Channels"] = channels
    if kind == "Queues":
        if draw(st.booleans()):
            filters["Subtypes"] = draw(
                st.lists(
                    st.sampled_from(["connect:Chat", "connect:Telephony", "x"]),
                    min_size=1,
                    max_size=3,
                )
            )
        if draw(st.integers(0, 5)) == 0:
            filters["AgentStatuses"] = [s.id for s in CENTRE.topology.statuses[:2]]
        if groupings == ["ROUTING_STEP_EXPRESSION"] and draw(st.booleans()):
            filters["Queues"] = filters["Queues"][:1]
            filters["RoutingStepExpressions"] = ['{"OrExpression":[]}']
    request: dict[str, Any] = {
        "Filters": filters,
        "CurrentMetrics": [{"Name": m, "Unit": str(catalogue.METRICS[m].unit)} for m in metrics],
    }
    if groupings:
        request["Groupings"] = groupings
    if draw(st.booleans()):
        sortable = [m for m in catalogue.METRIC_NAMES if m not in catalogue.UNSORTABLE_METRICS]
        request["SortCriteria"] = [
            {
                "SortByMetric": draw(st.sampled_from(sortable)),
                "SortOrder": draw(st.sampled_from(list(catalogue.SortOrder))),
            }
        ]
    if draw(st.booleans()):
        request["MaxResults"] = draw(st.integers(1, 4) | st.integers(1, 100))
    return request


# Any moment of a week, but mostly opening hours, when there is more to count.
times = (
    st.floats(0, 7 * 86400, allow_nan=False)
    | st.tuples(st.integers(0, 6), st.floats(8 * 3600, 18 * 3600)).map(
        lambda d: d[0] * 86400 + d[1]
    )
).map(lambda offset: DAY0 + offset)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_requests(), times)
def test_valid_requests_get_well_formed_consistent_answers(
    request: dict[str, Any], t: float
) -> None:
    assert rules.check_request(request) == [], "the strategy makes valid requests only"
    CLOCK.now = t
    answers = [CLIENT.get_current_metric_data(InstanceId=IID, **request)]
    while "NextToken" in answers[-1]:
        CLOCK.now += 1  # later calls still show the first call's moment
        answers.append(
            CLIENT.get_current_metric_data(
                InstanceId=IID, NextToken=answers[-1]["NextToken"], **request
            )
        )
    validator = ParamValidator()
    for answer in answers:
        answer.pop("ResponseMetadata")
        report = validator.validate(answer, OUTPUT_SHAPE)
        assert not report.has_errors(), report.generate_report()
        assert isinstance(answer["DataSnapshotTime"], datetime)
        # AWS's timestamps, and so the simulator's, are to the millisecond.
        assert answer["DataSnapshotTime"].timestamp() == round(t, 3)
        assert answer["ApproximateTotalCount"] == answers[0]["ApproximateTotalCount"]
        assert len(answer["MetricResults"]) <= request.get("MaxResults", 100)
    results = [r for a in answers for r in a["MetricResults"]]
    event(f"pages: {min(len(answers), 3)}{'+' if len(answers) >= 3 else ''}")
    event("rows" if results else "no rows")
    assert len(results) == answers[0]["ApproximateTotalCount"]

    groupings = request.get("Groupings", [])
    asked = request["CurrentMetrics"]
    seen = set()
    for result in results:
        assert set(result["Dimensions"]) == {DIMENSION[g] for g in groupings}
        key = json.dumps(result["Dimensions"], sort_keys=True)
        assert key not in seen
        seen.add(key)
        assert [c["Metric"] for c in result["Collections"]] == asked
        check_row_invariants({c["Metric"]["Name"]: c.get("Value") for c in result["Collections"]})
    sort = (
        request.get("SortCriteria")
        or [{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "DESCENDING"}]
    )[0]
    if sort["SortByMetric"] in {m["Name"] for m in asked}:
        column = [
            next(
                c.get("Value")
                for c in r["Collections"]
                if c["Metric"]["Name"] == sort["SortByMetric"]
            )
            for r in results
        ]
        known = [v for v in column if v is not None]
        assert column[: len(known)] == known, "rows with no value come last"
        assert known == sorted(known, reverse=sort["SortOrder"] == "DESCENDING")


def send_raw(body: Any) -> None:
    def replace(request: AWSRequest, **_: Any) -> None:
        request.data = json.dumps(body).encode()

    event = "before-sign.connect.GetCurrentMetricData"
    LAX.meta.events.register(event, replace, unique_id="raw-body")
    try:
        LAX.get_current_metric_data(InstanceId=IID, Filters={}, CurrentMetrics=[])
    finally:
        LAX.meta.events.unregister(event, unique_id="raw-body")


def _break(request: dict[str, Any], how: str) -> dict[str, Any]:
    broken = json.loads(json.dumps(request))
    filters = broken["Filters"]
    if how == "both-filters":
        filters["Queues"] = [QUEUES[0].id]
        filters["RoutingProfiles"] = [PROFILES[0].id]
    elif how == "no-filter":
        filters.pop("Queues", None)
        filters.pop("RoutingProfiles", None)
    elif how == "too-many-queues":
        filters.pop("RoutingProfiles", None)
        filters["Queues"] = [q.id for q in QUEUES] * 2
    elif how == "bad-channel":
        filters["Channels"] = ["PIGEON"]
    elif how == "channel-grouping":
        filters.pop("Channels", None)
        broken["Groupings"] = ["CHANNEL"]
    elif how == "three-groupings":
        broken["Groupings"] = ["QUEUE", "CHANNEL", "SUBTYPE"]
    elif how == "wrong-unit":
        broken["CurrentMetrics"] = [
            {"Name": "AGENTS_ONLINE", "Unit": "PERCENT"},
            *broken["CurrentMetrics"][1:],
        ]
    elif how == "no-metrics":
        broken["CurrentMetrics"] = []
    elif how == "slots-sort":
        broken["SortCriteria"] = [{"SortByMetric": "SLOTS_AVAILABLE", "SortOrder": "ASCENDING"}]
    elif how == "max-results":
        broken["MaxResults"] = 101
    elif how == "agent-status-metric":
        broken["Groupings"] = ["QUEUE", "AGENT_STATUS"]
        broken["CurrentMetrics"] = [{"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"}]
    elif how == "routing-step-without-grouping":
        broken["Groupings"] = []
        filters["RoutingStepExpressions"] = ["x"]
    elif how == "unknown-key":
        broken["Colour"] = "red"
    return broken


BREAKS = {
    "both-filters": "InvalidRequestException",
    "no-filter": "InvalidRequestException",
    "too-many-queues": "InvalidParameterException",
    "bad-channel": "InvalidParameterException",
    "channel-grouping": "InvalidRequestException",
    "three-groupings": "InvalidParameterException",
    "wrong-unit": "InvalidParameterException",
    "no-metrics": "InvalidParameterException",
    "slots-sort": "InvalidParameterException",
    "max-results": "InvalidParameterException",
    "agent-status-metric": "InvalidRequestException",
    "routing-step-without-grouping": "InvalidRequestException",
    "unknown-key": "InvalidRequestException",
}


@settings(max_examples=120, deadline=None)
@given(
    valid_requests(), st.lists(st.sampled_from(sorted(BREAKS)), min_size=1, max_size=3, unique=True)
)
def test_invalid_requests_raise_the_class_the_rules_name(
    request: dict[str, Any], breaks: list[str]
) -> None:
    broken = request
    for how in breaks:
        broken = _break(broken, how)
    violations = rules.check_request(broken)
    assume(violations)
    # Each break is caught by a rule of its own class (other breaks may add more).
    for how in breaks:
        single = rules.check_request(_break(request, how))
        assert BREAKS[how] in {v.error for v in single}, (how, single)
    expected = violations[0].error
    try:
        send_raw(broken)
    except getattr(LAX.exceptions, expected) as error:
        message = error.response["Error"]["Message"]
        assert message == "; ".join(v.message for v in violations)
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    else:
        raise AssertionError(f"{broken} was answered; expected {expected}")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["Queues", "Name", "Unit", "x"]), children, max_size=3)
    ),
    max_leaves=8,
)
bodies = st.dictionaries(
    st.sampled_from(
        ["Filters", "Groupings", "CurrentMetrics", "SortCriteria", "MaxResults", "Extra"]
    ),
    json_values,
    max_size=5,
)


@settings(max_examples=80, deadline=None)
@given(bodies | json_values)
def test_any_body_is_answered_as_the_rules_say(body: Any) -> None:
    violations = rules.check_request(body)
    if not violations:
        send_raw(body)
        return
    try:
        send_raw(body)
    except getattr(LAX.exceptions, violations[0].error):
        pass
    else:
        raise AssertionError(f"{body!r} was answered; expected {violations[0].error}")
