"""The rules of a GetCurrentMetricData request, and its canonical form.

One module holds every rule of docs/connect-api.md so that the admin form,
the simulated contact centre and the JSON endpoint refuse exactly the same
requests with the same words. Names, units and limits come from the catalogue.

Which AWS exception a broken rule maps to (AWS documents no table, so this is
the project's decision, applied consistently):

- ``InvalidParameterException`` ("one or more of the specified parameters are
  not valid"): one parameter is wrong on its own: missing, wrong type, too many
  or too few entries, a value outside its enum, a malformed ID or ARN, the wrong
  Unit for a metric, a duplicate, an unsortable sort metric.
- ``InvalidRequestException`` ("the request is not valid"): the body is not an
  object or has keys GetCurrentMetricData does not know, or parameters that are
  each fine do not go together (Queues with RoutingProfiles, a CHANNEL grouping
  without a Channels filter, ...).

Sorting: AWS does not require the sort metric to be among CurrentMetrics (its
own default, AGENTS_ONLINE, applies whatever metrics are asked), so neither do
we.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connectmetrics.connectapi import catalogue

INVALID_REQUEST = "InvalidRequestException"
INVALID_PARAMETER = "InvalidParameterException"

_TOP_LEVEL_KEYS = (
    "InstanceId",
    "Filters",
    "Groupings",
    "CurrentMetrics",
    "SortCriteria",
    "MaxResults",
    "NextToken",
)
_FILTER_KEYS = (
    "Queues",
    "RoutingProfiles",
    "Channels",
    "RoutingStepExpressions",
    "AgentStatuses",
    "Subtypes",
    "ValidationTestTypes",
)
# Filters that only make sense with Queues as the primary filter.
_NEEDS_QUEUES_FILTER = ("AgentStatuses", "Subtypes", "ValidationTestTypes")
# Groupings that, as the secondary grouping, need QUEUE as the primary one.
_SECONDARY_UNDER_QUEUE = (catalogue.Grouping.SUBTYPE, catalogue.Grouping.VALIDATION_TEST_TYPE)

# Longest string the service model allows in these filters.
_MAX_ROUTING_STEP_EXPRESSION_CHARS = 3000
_MAX_SUBTYPE_CHARS = 100
_MAX_INSTANCE_ID_CHARS = 100

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID_RE = re.compile(_UUID)
_INSTANCE_ARN = (
    rf"arn:aws(?:-[a-z]+)*:connect:[a-z0-9-]+:[0-9]{{12}}:instance/(?P<instance>{_UUID})"
)
_INSTANCE_ARN_RE = re.compile(_INSTANCE_ARN)
# Agent queues (one per agent) have ARNs ending in queue/agent/<id>.
_RESOURCE_ARN_RES = {
    "queue": re.compile(rf"{_INSTANCE_ARN}/queue/(?:agent/)?(?P<id>{_UUID})"),
    "routing-profile": re.compile(rf"{_INSTANCE_ARN}/routing-profile/(?P<id>{_UUID})"),
}


# A caller's value is quoted in a message at most this long, so a huge value (a queue ID of
# megabytes) cannot make a huge message: the rule and the field still fit beside it.
MAX_SHOWN_CHARS = 60


def shown(value: object, *, quoted: bool = True) -> str:
    """A caller's value as an error message quotes it (repr, or str if not `quoted`), cut short."""
    text = repr(value) if quoted else str(value)
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    return f"{text[:MAX_SHOWN_CHARS]}… ({len(text):,} characters)"


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (AWS's dotted field path), what, and AWS's exception class."""

    field: str
    message: str
    error: str


class RequestInvalid(Exception):
    """A request broke at least one rule; ``violations`` lists every one."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations


def parse_resource_id(value: str, kind: str) -> str:
    """A queue or routing-profile ID, or its ARN, reduced to the ID.

    ``kind`` is "queue" or "routing-profile" (the word AWS uses in the ARN).
    IDs are UUIDs; ARNs look like
    ``arn:aws:connect:<region>:<account>:instance/<instance-id>/<kind>/<id>``.
    """
    pattern = _RESOURCE_ARN_RES.get(kind)
    if pattern is None:
        raise ValueError(
            f"unknown resource kind {kind!r}: expected one of {sorted(_RESOURCE_ARN_RES)}"
        )
    if not isinstance(value, str):
        raise ValueError(f"a {kind} ID or ARN must be a string, not {type(value).__name__}")
    if _UUID_RE.fullmatch(value):
        return value
    match = pattern.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{shown(value)} is neither a {kind} ID (a UUID) nor a {kind} ARN "
            f"(arn:aws:connect:<region>:<account>:instance/<instance-id>/{kind}/<{kind}-id>)"
        )
    return match["id"]


def parse_instance(value: str) -> tuple[str, str | None]:
    """An instance ID (a UUID) or instance ARN -> (instance ID, the ARN or None)."""
    if not isinstance(value, str):
        raise ValueError(f"an instance ID or ARN must be a string, not {type(value).__name__}")
    if _UUID_RE.fullmatch(value):
        return value, None
    match = _INSTANCE_ARN_RE.fullmatch(value)
    if match is None:
        raise ValueError(
            f"{shown(value)} is neither an instance ID (a UUID) nor an instance ARN "
            "(arn:aws:connect:<region>:<account>:instance/<instance-id>)"
        )
    return match["instance"], value


@dataclass(frozen=True)
class InstancePlace:
    """Where a configured Connect instance lives, as far as its configuration tells: its
    Region always, its account when an instance or role ARN names it ("" otherwise)."""

    instance_id: str
    region: str
    account: str


_ARN_PLACE_RE = re.compile(
    rf"arn:aws(?:-[a-z]+)*:connect:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{{12}}):"
    rf"instance/(?P<instance>{_UUID})"
)


def arn_mismatch(value: str, place: InstancePlace) -> str | None:
    """Why an instance, queue or routing-profile ARN is not of the instance at `place`
    (None when it is, or when `value` is a bare ID). Its Region must be the instance's,
    its account the instance's when that is known, its instance ID the instance's."""
    match = _ARN_PLACE_RE.match(value)
    if match is None:
        return None
    if match["region"] != place.region:
        return f"the ARN's Region {match['region']} is not the instance's ({place.region})"
    if place.account and match["account"] != place.account:
        return f"the ARN's account {match['account']} is not the instance's ({place.account})"
    if match["instance"] != place.instance_id:
        return f"the ARN names instance {match['instance']}, not {place.instance_id}"
    return None


def check_place(request: Mapping[str, Any], place: Callable[[], InstancePlace]) -> list[Violation]:
    """Every ARN of a valid request (InstanceId, Filters.Queues, Filters.RoutingProfiles)
    that is not of the instance at `place()`, asked only when the request holds an ARN."""
    given: list[tuple[str, object]] = [("InstanceId", request.get("InstanceId"))]
    for key in ("Queues", "RoutingProfiles"):
        given += [(f"Filters.{key}", value) for value in request["Filters"].get(key) or []]
    arns = [(field, value) for field, value in given if isinstance(value, str) and "arn:" in value]
    check = _Checker()
    if arns:
        where = place()
        for field, arn in arns:
            if (why := arn_mismatch(arn, where)) is not None:
                check.add(field, why)
    return check.violations


class _Checker:
    """Walks one request, collecting violations and what later rules need to know."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, field: str, message: str, error: str = INVALID_PARAMETER) -> None:
        self.violations.append(Violation(field, f"{field or 'Request'}: {message}", error))

    def string_list(
        self,
        value: object,
        field: str,
        *,
        maximum: int,
        minimum: int = 0,
        max_chars: int | None = None,
    ) -> list[str] | None:
        """The list if it is a list of strings (within its limits or not), else None.

        Too many or too few entries is a violation, but the entries are still
        returned so that their own rules are checked too.
        """
        if not isinstance(value, list | tuple):
            self.add(field, f"must be a list, not {type(value).__name__}")
            return None
        if len(value) < minimum:
            self.add(field, f"needs at least {minimum} entry; got {len(value)}")
        if len(value) > maximum:
            self.add(field, f"takes at most {maximum} entries; got {len(value)}")
        for item in value:
            if not isinstance(item, str):
                self.add(field, f"every entry must be a string; got {type(item).__name__}")
                return None
            if not item or (max_chars is not None and len(item) > max_chars):
                self.add(field, f"every entry must be 1 to {max_chars or 'many'} characters long")
                return None
        return list(value)


def _present(mapping: Mapping[str, Any], key: str) -> bool:
    # A JSON null is read as "not given", as forms and JSON clients often send it.
    return mapping.get(key) is not None


def check_request(request: Mapping[str, Any]) -> list[Violation]:
    """Every rule a GetCurrentMetricData request breaks (an empty list when it is valid).

    Never raises, whatever JSON-like value it is given.
    """
    check = _Checker()
    if not isinstance(request, Mapping):
        check.add("", "must be a JSON object of GetCurrentMetricData's parameters", INVALID_REQUEST)
        return check.violations
    for key in request:
        if key not in _TOP_LEVEL_KEYS:
            check.add(
                "",
                f"{shown(key, quoted=False)} is not a parameter of GetCurrentMetricData",
                INVALID_REQUEST,
            )

    if _present(request, "InstanceId"):
        check.violations.extend(check_instance_id(request["InstanceId"]))
    filters = _check_filters(check, request)
    groupings = _check_groupings(check, request)
    metrics = _check_metrics(check, request)
    _check_sort(check, request)
    _check_paging(check, request)
    if filters is not None:
        _check_filter_combinations(check, filters, groupings)
        if groupings is not None:
            _check_grouping_combinations(check, filters, groupings, metrics)
    return check.violations


def check_instance_id(value: object) -> list[Violation]:
    """The rules of InstanceId alone (1-100 characters, an instance ID or ARN)."""
    check = _Checker()
    if not isinstance(value, str):
        check.add("InstanceId", f"must be a string, not {type(value).__name__}")
    elif not 1 <= len(value) <= _MAX_INSTANCE_ID_CHARS:
        check.add("InstanceId", f"must be 1 to {_MAX_INSTANCE_ID_CHARS} characters long")
    else:
        try:
            parse_instance(value)
        except ValueError as error:
            check.add("InstanceId", str(error))
    return check.violations


@dataclass
class _Filters:
    """What the cross-field rules need to know of Filters."""

    keys_given: set[str]
    queue_count: int | None  # None when Queues is absent or not a list of IDs
    channels: list[str]


def _check_filters(check: _Checker, request: Mapping[str, Any]) -> _Filters | None:
    if not _present(request, "Filters"):
        check.add("Filters", "is required")
        return None
    filters = request["Filters"]
    if not isinstance(filters, Mapping):
        check.add("Filters", f"must be an object, not {type(filters).__name__}")
        return None
    for key in filters:
        if key not in _FILTER_KEYS:
            check.add(
                "Filters",
                f"{shown(key, quoted=False)} is not a filter of GetCurrentMetricData",
                INVALID_REQUEST,
            )

    queue_count: int | None = None
    if _present(filters, "Queues"):
        queues = _resource_list(check, filters["Queues"], "Queues", "queue", catalogue.MAX_QUEUES)
        queue_count = None if queues is None else len(queues)
    if _present(filters, "RoutingProfiles"):
        _resource_list(
            check,
            filters["RoutingProfiles"],
            "RoutingProfiles",
            "routing-profile",
            catalogue.MAX_ROUTING_PROFILES,
        )
    channels: list[str] = []
    if _present(filters, "Channels"):
        given = check.string_list(
            filters["Channels"], "Filters.Channels", maximum=catalogue.MAX_CHANNELS
        )
        for channel in given or []:
            if channel not in catalogue.Channel.__members__:
                check.add(
                    "Filters.Channels",
                    f"{shown(channel)} is not a channel; use {', '.join(catalogue.Channel)}",
                )
            elif channel not in channels:
                channels.append(channel)
    limits = {
        "RoutingStepExpressions": (
            catalogue.MAX_ROUTING_STEP_EXPRESSIONS,
            _MAX_ROUTING_STEP_EXPRESSION_CHARS,
        ),
        "AgentStatuses": (catalogue.MAX_AGENT_STATUSES, None),
        "Subtypes": (catalogue.MAX_SUBTYPES, _MAX_SUBTYPE_CHARS),
        "ValidationTestTypes": (catalogue.MAX_VALIDATION_TEST_TYPES, None),
    }
    for key, (maximum, max_chars) in limits.items():
        if _present(filters, key):
            check.string_list(filters[key], f"Filters.{key}", maximum=maximum, max_chars=max_chars)
    return _Filters({key for key in _FILTER_KEYS if _given(filters, key)}, queue_count, channels)


def _given(filters: Mapping[str, Any], key: str) -> bool:
    value = filters.get(key)
    if value is None:
        return False
    # An empty optional list filters nothing, so it counts as not given; an
    # empty Queues or RoutingProfiles is given, and broken (they need 1-100).
    empty = isinstance(value, list | tuple) and not value
    return key in ("Queues", "RoutingProfiles") or not empty


def _resource_list(
    check: _Checker, value: object, key: str, kind: str, maximum: int
) -> list[str] | None:
    field = f"Filters.{key}"
    items = check.string_list(value, field, maximum=maximum, minimum=1)
    if items is None:
        return None
    for item in items:
        try:
            parse_resource_id(item, kind)
        except ValueError as error:
            check.add(field, str(error))
            return None
    return items


def _check_groupings(check: _Checker, request: Mapping[str, Any]) -> list[str] | None:
    if not _present(request, "Groupings"):
        return []
    items = check.string_list(request["Groupings"], "Groupings", maximum=catalogue.MAX_GROUPINGS)
    if items is None:
        return None
    ok = len(items) <= catalogue.MAX_GROUPINGS
    for item in items:
        if item not in catalogue.Grouping.__members__:
            check.add(
                "Groupings", f"{shown(item)} is not a grouping; use {', '.join(catalogue.Grouping)}"
            )
            ok = False
    if len(set(items)) != len(items):
        check.add("Groupings", "must not name the same grouping twice")
        ok = False
    return items if ok else None


def _check_metrics(check: _Checker, request: Mapping[str, Any]) -> set[str]:
    """The known metric names asked for (for the cross-field rules)."""
    field = "CurrentMetrics"
    if not _present(request, field):
        check.add(field, "is required")
        return set()
    value = request[field]
    if not isinstance(value, list | tuple):
        check.add(field, f"must be a list, not {type(value).__name__}")
        return set()
    if not value:
        check.add(field, "needs at least one metric")
    names: set[str] = set()
    for item in value:
        if not isinstance(item, Mapping):
            check.add(field, f"every entry must be an object with Name and Unit; got {shown(item)}")
            continue
        unknown = [
            shown(key, quoted=False) for key in item if key not in ("Name", "Unit", "MetricId")
        ]
        if unknown:
            check.add(field, f"{', '.join(unknown)} is not a field of a metric; use Name and Unit")
        if "MetricId" in item:
            check.add(field, "MetricId is not supported here; name the metric with Name and Unit")
            continue
        name, unit = item.get("Name"), item.get("Unit")
        if not isinstance(name, str) or name not in catalogue.METRICS:
            check.add(
                field, f"{shown(name)} is not a metric; use one of {', '.join(catalogue.METRICS)}"
            )
            continue
        if name in names:
            check.add(field, f"{name} is asked for twice")
        names.add(name)
        expected = catalogue.METRICS[name].unit
        if unit is None:
            check.add(field, f"{name} needs its Unit ({expected})")
        elif unit != expected:
            check.add(field, f"{name} takes Unit {expected}, not {shown(unit)}")
    return names


def _check_sort(check: _Checker, request: Mapping[str, Any]) -> None:
    field = "SortCriteria"
    if not _present(request, field):
        return
    value = request[field]
    if not isinstance(value, list | tuple):
        check.add(field, f"must be a list, not {type(value).__name__}")
        return
    if len(value) > catalogue.MAX_SORT_CRITERIA:
        check.add(field, f"takes at most {catalogue.MAX_SORT_CRITERIA} entry; got {len(value)}")
    for item in value:
        if not isinstance(item, Mapping):
            check.add(
                field,
                f"every entry must be an object with SortByMetric and SortOrder; got {shown(item)}",
            )
            continue
        unknown = [
            shown(key, quoted=False) for key in item if key not in ("SortByMetric", "SortOrder")
        ]
        if unknown:
            check.add(
                field,
                f"{', '.join(unknown)} is not a field of a sort; use SortByMetric and SortOrder",
            )
        metric, order = item.get("SortByMetric"), item.get("SortOrder")
        if not isinstance(metric, str) or metric not in catalogue.METRICS:
            check.add(field, f"SortByMetric {shown(metric)} is not a metric")
        elif metric in catalogue.UNSORTABLE_METRICS:
            check.add(field, f"sorting on {metric} is not supported")
        if not isinstance(order, str) or order not in catalogue.SortOrder.__members__:
            check.add(
                field, f"SortOrder {shown(order)} must be one of {', '.join(catalogue.SortOrder)}"
            )


def _check_paging(check: _Checker, request: Mapping[str, Any]) -> None:
    if _present(request, "MaxResults"):
        value = request["MaxResults"]
        # bool is an int in Python, never in JSON.
        if not isinstance(value, int) or isinstance(value, bool):
            check.add("MaxResults", f"must be a whole number, not {type(value).__name__}")
        elif not 1 <= value <= catalogue.MAX_RESULTS:
            check.add("MaxResults", f"must be from 1 to {catalogue.MAX_RESULTS}; got {value}")
    if _present(request, "NextToken"):
        value = request["NextToken"]
        if not isinstance(value, str) or not value:
            check.add("NextToken", "must be a non-empty string from a previous response")


def _check_filter_combinations(
    check: _Checker, filters: _Filters, groupings: list[str] | None
) -> None:
    given = filters.keys_given
    if "Queues" in given and "RoutingProfiles" in given:
        check.add(
            "Filters", "Queues and RoutingProfiles cannot be filtered together", INVALID_REQUEST
        )
    elif "Queues" not in given and "RoutingProfiles" not in given:
        check.add("Filters", "must include Queues or RoutingProfiles", INVALID_REQUEST)
    for key in _NEEDS_QUEUES_FILTER:
        if key in given and "Queues" not in given:
            check.add(f"Filters.{key}", "needs Queues as the primary filter", INVALID_REQUEST)
    if "RoutingStepExpressions" in given:
        field = "Filters.RoutingStepExpressions"
        # A broken Queues filter has its own violation; count only a sound one.
        if "Queues" not in given or filters.queue_count not in (None, 1):
            check.add(field, "needs exactly one queue in Filters.Queues", INVALID_REQUEST)
        if groupings is not None and catalogue.Grouping.ROUTING_STEP_EXPRESSION not in groupings:
            check.add(field, "needs grouping by ROUTING_STEP_EXPRESSION", INVALID_REQUEST)


def _check_grouping_combinations(
    check: _Checker, filters: _Filters, groupings: list[str], metrics: set[str]
) -> None:
    given = filters.keys_given
    has_queues = "Queues" in given
    if catalogue.Grouping.CHANNEL in groupings and not filters.channels:
        check.add("Groupings", "CHANNEL grouping requires a Channels filter", INVALID_REQUEST)
    if catalogue.Grouping.ROUTING_PROFILE in groupings:
        if not has_queues and "RoutingProfiles" not in given:
            check.add(
                "Groupings",
                "ROUTING_PROFILE grouping requires a Queues or RoutingProfiles filter",
                INVALID_REQUEST,
            )
        needing = sorted(metrics & catalogue.NEEDS_ROUTING_PROFILE_FILTER)
        if needing and "RoutingProfiles" not in given:
            check.add(
                "Groupings",
                f"ROUTING_PROFILE grouping with {', '.join(needing)} "
                "requires a RoutingProfiles filter",
                INVALID_REQUEST,
            )
    if catalogue.Grouping.AGENT_STATUS in groupings:
        if groupings[0] != catalogue.Grouping.QUEUE:
            check.add(
                "Groupings",
                "AGENT_STATUS grouping needs QUEUE as the primary (first) grouping",
                INVALID_REQUEST,
            )
        if not has_queues:
            check.add(
                "Groupings", "AGENT_STATUS grouping requires a Queues filter", INVALID_REQUEST
            )
        others = sorted(metrics - {"AGENTS_ONLINE"})
        if others:
            check.add(
                "CurrentMetrics",
                "with AGENT_STATUS grouping only AGENTS_ONLINE is available, "
                f"not {', '.join(others)}",
                INVALID_REQUEST,
            )
    if len(groupings) == 2 and groupings[1] in _SECONDARY_UNDER_QUEUE:
        if groupings[0] != catalogue.Grouping.QUEUE:
            check.add(
                "Groupings",
                f"{groupings[1]} as the secondary grouping needs QUEUE as the primary grouping",
                INVALID_REQUEST,
            )
        if not has_queues:
            check.add(
                "Groupings",
                f"{groupings[1]} as the secondary grouping requires a Queues filter",
                INVALID_REQUEST,
            )


def canonical_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """The normal form of "what is asked", or RequestInvalid.

    Two requests that ask the same thing have the same canonical form: ARNs are
    reduced to IDs, filter lists are de-duplicated and sorted, metrics are sorted
    by name, the default sort is filled in. Groupings keep their order (the first
    is the primary). InstanceId, MaxResults and NextToken are dropped: they say
    where and how to page, not what is asked.
    """
    violations = check_request(request)
    if violations:
        raise RequestInvalid(violations)
    given = request["Filters"]
    filters: dict[str, list[str]] = {}
    kinds = {"Queues": "queue", "RoutingProfiles": "routing-profile"}
    for key in _FILTER_KEYS:
        values = given.get(key) or []
        if key in kinds:
            values = [parse_resource_id(value, kinds[key]) for value in values]
        if values:
            filters[key] = sorted(set(values))
    sort = request.get("SortCriteria") or [
        {"SortByMetric": catalogue.DEFAULT_SORT[0], "SortOrder": str(catalogue.DEFAULT_SORT[1])}
    ]
    return {
        "Filters": filters,
        "Groupings": list(request.get("Groupings") or []),
        "CurrentMetrics": [
            {"Name": name, "Unit": str(catalogue.METRICS[name].unit)}
            for name in sorted(metric["Name"] for metric in request["CurrentMetrics"])
        ],
        "SortCriteria": [
            {"SortByMetric": item["SortByMetric"], "SortOrder": item["SortOrder"]} for item in sort
        ],
    }


def request_key(canonical: Mapping[str, Any]) -> str:
    """A stable key of a canonical request: the sha256 hex digest of its sorted-keys JSON."""
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()
