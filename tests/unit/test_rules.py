"""connectmetrics.connectapi.rules: every rule of docs/connect-api.md, and the canonical form.

The requests are tests/rule_cases.py's, which the simulated centre is also sent
(tests/unit/simulator/test_paging_and_rules.py), so each rule is tested in both.
"""

import hashlib
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectmetrics.connectapi import catalogue, rules
from connectmetrics.connectapi.rules import INVALID_PARAMETER as IP
from connectmetrics.connectapi.rules import INVALID_REQUEST as IR
from connectmetrics.connectapi.rules import RequestInvalid, Violation
from tests.rule_cases import (
    ARN_BASE,
    INSTANCE,
    Q1,
    Q2,
    RP1,
    RULE_CASES,
    VALID_CASES,
    metric,
    request,
)


@pytest.mark.parametrize(("req", "field", "error", "words"), RULE_CASES)
def test_each_rule_is_one_violation_on_its_field(
    req: Any, field: str, error: str, words: str
) -> None:
    violations = rules.check_request(req)
    assert len(violations) == 1, violations
    (violation,) = violations
    assert violation.field == field
    assert violation.error == error
    assert words in violation.message
    # The message names the field it concerns (or "Request" for the body).
    assert violation.message.startswith(f"{field or 'Request'}: ")


@pytest.mark.parametrize("req", VALID_CASES)
def test_valid_requests_pass(req: dict[str, Any]) -> None:
    assert rules.check_request(req) == []


def test_routing_profile_grouping_needs_queues_or_routing_profiles() -> None:
    violations = rules.check_request(
        request(Filters={"Channels": ["VOICE"]}, Groupings=["ROUTING_PROFILE"])
    )
    assert (
        Violation(
            "Groupings",
            "Groupings: ROUTING_PROFILE grouping requires a Queues or RoutingProfiles filter",
            IR,
        )
        in violations
    )


@pytest.mark.parametrize("name", sorted(catalogue.NEEDS_ROUTING_PROFILE_FILTER))
def test_routing_profile_grouping_needs_routing_profiles_for_queue_metrics(name: str) -> None:
    req = request(
        Groupings=["ROUTING_PROFILE"], CurrentMetrics=[metric("AGENTS_ONLINE"), metric(name)]
    )
    (violation,) = rules.check_request(req)
    assert (violation.field, violation.error) == ("Groupings", IR)
    assert f"with {name} requires a RoutingProfiles filter" in violation.message
    # The same request with a RoutingProfiles filter instead passes.
    assert rules.check_request({**req, "Filters": {"RoutingProfiles": [RP1]}}) == []


def test_every_violation_is_reported_not_just_the_first() -> None:
    req = {
        "Filters": {"Queues": [Q1], "RoutingProfiles": [RP1], "Channels": ["FAX"]},
        "Groupings": ["QUEUE", "CHANNEL", "QUEUE"],
        "CurrentMetrics": [{"Name": "OLDEST_CONTACT_AGE", "Unit": "COUNT"}],
        "SortCriteria": [{"SortByMetric": "SLOTS_ACTIVE", "SortOrder": "DESCENDING"}],
        "MaxResults": 500,
        "Colour": "red",
    }
    fields = sorted(v.field for v in rules.check_request(req))
    assert fields == sorted(
        [
            "",
            "Filters",
            "Filters.Channels",
            "Groupings",
            "Groupings",
            "CurrentMetrics",
            "SortCriteria",
            "MaxResults",
        ]
    )


def test_errors_are_one_of_the_two_aws_classes() -> None:
    for param in RULE_CASES:
        for violation in rules.check_request(param.values[0]):
            assert violation.error in {IR, IP}


def test_sort_metric_need_not_be_requested() -> None:
    # AWS's own default (AGENTS_ONLINE) applies whatever is asked, so neither do we require it.
    req = request(
        CurrentMetrics=[metric("CONTACTS_IN_QUEUE")],
        SortCriteria=[{"SortByMetric": "AGENTS_AVAILABLE", "SortOrder": "ASCENDING"}],
    )
    assert rules.check_request(req) == []


# -- IDs and ARNs -------------------------------------------------------------


def test_parse_resource_id() -> None:
    assert rules.parse_resource_id(Q1, "queue") == Q1
    assert rules.parse_resource_id(f"{ARN_BASE}/queue/{Q1}", "queue") == Q1
    assert rules.parse_resource_id(f"{ARN_BASE}/queue/agent/{Q2}", "queue") == Q2
    assert rules.parse_resource_id(f"{ARN_BASE}/routing-profile/{RP1}", "routing-profile") == RP1
    gov = f"arn:aws-us-gov:connect:us-gov-west-1:123456789012:instance/{INSTANCE}/queue/{Q1}"
    assert rules.parse_resource_id(gov, "queue") == Q1


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("", "queue"),
        ("sales", "queue"),
        (Q1 + "0", "queue"),
        (f"{ARN_BASE}/queue/{Q1}/extra", "queue"),
        (f"{ARN_BASE}/routing-profile/{RP1}", "queue"),
        (f"{ARN_BASE}/queue/{Q1}", "routing-profile"),
        (f"arn:aws:s3:eu-west-2:123456789012:instance/{INSTANCE}/queue/{Q1}", "queue"),
        (f"arn:aws:connect:eu-west-2:123456789012:instance/nope/queue/{Q1}", "queue"),
    ],
)
def test_parse_resource_id_refuses_malformed_values(value: str, kind: str) -> None:
    with pytest.raises(ValueError, match=f"{kind} ID"):
        rules.parse_resource_id(value, kind)


def test_parse_resource_id_refuses_unknown_kinds_and_non_strings() -> None:
    with pytest.raises(ValueError, match="unknown resource kind"):
        rules.parse_resource_id(Q1, "user")
    with pytest.raises(ValueError, match="must be a string"):
        rules.parse_resource_id(7, "queue")  # type: ignore[arg-type]


def test_parse_instance() -> None:
    assert rules.parse_instance(INSTANCE) == (INSTANCE, None)
    assert rules.parse_instance(ARN_BASE) == (INSTANCE, ARN_BASE)
    for bad in ("", "instance", f"{ARN_BASE}/queue/{Q1}", "arn:aws:connect:eu-west-2:1:instance/x"):
        with pytest.raises(ValueError, match="instance ID"):
            rules.parse_instance(bad)


# -- canonical form and key -----------------------------------------------------


def test_canonical_request_normalises_what_is_asked() -> None:
    req = {
        "InstanceId": INSTANCE,
        "Filters": {
            "Queues": [Q2, f"{ARN_BASE}/queue/{Q1}", Q1],
            "Channels": ["VOICE", "CHAT", "VOICE"],
            "Subtypes": ["connect:SMS", "connect:Chat"],
        },
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": [metric("OLDEST_CONTACT_AGE"), metric("AGENTS_ONLINE")],
        "MaxResults": 5,
        "NextToken": "abc",
    }
    assert rules.canonical_request(req) == {
        "Filters": {
            "Queues": [Q1, Q2],
            "Channels": ["CHAT", "VOICE"],
            "Subtypes": ["connect:Chat", "connect:SMS"],
        },
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": [
            {"Name": "AGENTS_ONLINE", "Unit": "COUNT"},
            {"Name": "OLDEST_CONTACT_AGE", "Unit": "SECONDS"},
        ],
        "SortCriteria": [{"SortByMetric": "AGENTS_ONLINE", "SortOrder": "DESCENDING"}],
    }


def test_canonical_request_keeps_grouping_order_and_given_sort() -> None:
    req = request(
        Filters={"RoutingProfiles": [f"{ARN_BASE}/routing-profile/{RP1}"], "Channels": []},
        Groupings=["ROUTING_PROFILE", "QUEUE"],
        SortCriteria=[{"SortByMetric": "AGENTS_AVAILABLE", "SortOrder": "ASCENDING"}],
    )
    canonical = rules.canonical_request(req)
    assert canonical["Filters"] == {"RoutingProfiles": [RP1]}
    assert canonical["Groupings"] == ["ROUTING_PROFILE", "QUEUE"]
    assert canonical["SortCriteria"] == [
        {"SortByMetric": "AGENTS_AVAILABLE", "SortOrder": "ASCENDING"}
    ]


def test_canonical_request_raises_with_every_violation() -> None:
    with pytest.raises(RequestInvalid) as caught:
        rules.canonical_request(request(Groupings=["CHANNEL"], MaxResults=0))
    assert [v.field for v in caught.value.violations] == ["MaxResults", "Groupings"]
    assert str(caught.value) == "; ".join(v.message for v in caught.value.violations)


def test_request_key_is_the_sha256_of_sorted_json_and_ignores_paging() -> None:
    a = rules.canonical_request(request(MaxResults=5, InstanceId=INSTANCE))
    b = rules.canonical_request(
        {
            "CurrentMetrics": [metric("AGENTS_ONLINE")],
            "Filters": {"Queues": [f"{ARN_BASE}/queue/{Q1}", Q1]},
        }
    )
    assert rules.request_key(a) == rules.request_key(b)
    expected = hashlib.sha256(
        json.dumps(a, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert rules.request_key(a) == expected
    swapped = rules.canonical_request(
        request(Filters={"Queues": [Q1], "Channels": ["VOICE"]}, Groupings=["CHANNEL", "QUEUE"])
    )
    straight = rules.canonical_request(
        request(Filters={"Queues": [Q1], "Channels": ["VOICE"]}, Groupings=["QUEUE", "CHANNEL"])
    )
    assert rules.request_key(swapped) != rules.request_key(straight)


# -- never raises -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
field_values = (
    json_values
    | st.sampled_from([Q1, f"{ARN_BASE}/queue/{Q1}", "VOICE", "QUEUE", "AGENTS_ONLINE", "COUNT"])
    | st.lists(
        st.sampled_from([Q1, RP1, "VOICE", "CHANNEL", "QUEUE", "AGENT_STATUS", 3]), max_size=4
    )
)
shaped = st.dictionaries(
    st.sampled_from(
        [
            "InstanceId",
            "Filters",
            "Groupings",
            "CurrentMetrics",
            "SortCriteria",
            "MaxResults",
            "NextToken",
        ]
    ),
    field_values
    | st.dictionaries(
        st.sampled_from(
            ["Queues", "RoutingProfiles", "Channels", "RoutingStepExpressions", "Other"]
        ),
        field_values,
        max_size=3,
    )
    | st.lists(
        st.dictionaries(
            st.sampled_from(["Name", "Unit", "MetricId", "SortByMetric", "SortOrder"]),
            field_values,
            max_size=3,
        ),
        max_size=3,
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(json_values | shaped)
def test_never_raises_on_json_like_input(value: Any) -> None:
    violations = rules.check_request(value)
    assert all(isinstance(v, Violation) and v.error in {IR, IP} for v in violations)
    try:
        canonical = rules.canonical_request(value)
    except RequestInvalid as error:
        assert error.violations == violations
    else:
        assert violations == []
        assert set(canonical) == {"Filters", "Groupings", "CurrentMetrics", "SortCriteria"}
        assert len(rules.request_key(canonical)) == 64


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"Filters": {"Queues": ["q" * 1_000_000]}}, "Filters.Queues"),
        ({"Filters": {"Queues": [Q1], "Channels": ["c" * 1_000_000]}}, "Filters.Channels"),
        ({"k" * 1_000_000: 1}, "Request"),
        (
            {"CurrentMetrics": [{"Name": "AGENTS_ONLINE", "Unit": "u" * 1_000_000}]},
            "CurrentMetrics",
        ),
        ({"Groupings": ["g" * 1_000_000]}, "Groupings"),
    ],
)
def test_a_huge_value_is_quoted_briefly_beside_the_field_and_the_rule(
    changes: dict[str, Any], field: str
) -> None:
    (violation,) = rules.check_request(request(**changes))
    assert violation.message.startswith(f"{field}: ")
    assert len(violation.message) < 300 and re.search(
        r"\(1,000,00\d characters\)", violation.message
    )
