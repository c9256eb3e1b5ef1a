"""GetMetricDataV2's request rules, as the simulated centre enforces them.

From botocore's model and the API reference: ResourceArn (the instance ARN),
StartTime before EndTime, EndTime not after now, data kept 3 months; the range
under 3 days for FIFTEEN_MIN, THIRTY_MIN and HOUR intervals and under 35 days
for DAY, WEEK and TOTAL; Interval.TimeZone an IANA time zone (default UTC);
Filters 1-5 distinct keys with 1-100 values each, at most 100 values over all
keys with CHANNEL values not counted, and at least one of QUEUE,
ROUTING_PROFILE, AGENT or AGENT_HIERARCHY_LEVEL_*; Groupings at most 4;
Metrics with at most one Threshold (LT or LTE, a whole number of seconds
from 1 to 604800) where the metric takes one (and only there), up to 20
SERVICE_LEVEL metrics; MaxResults 1-100.

The centre answers the metrics, filter keys and groupings a wallboard uses
(listed below); others are refused with InvalidParameterException naming
those it answers. One parameter wrong on its own is InvalidParameterException,
parameters that do not go together InvalidRequestException, as for
GetCurrentMetricData (see ``connectmetrics.connectapi.rules``).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectmetrics.connectapi import rules
from connectmetrics.connectapi.catalogue import Channel
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.intervals import PERIODS
from connectmetrics.simulator.references import id_list, max_results, only_keys

SUBTYPE = "contact/segmentAttributes/connect:Subtype"
HIERARCHY_LEVELS = tuple(
    f"AGENT_HIERARCHY_LEVEL_{n}" for n in ("ONE", "TWO", "THREE", "FOUR", "FIVE")
)
AGENT_KEYS = ("AGENT", *HIERARCHY_LEVELS)
# Filter keys and groupings the centre answers, and the resource kind of their values.
_RESOURCE_KINDS = {
    "QUEUE": "queue",
    "ROUTING_PROFILE": "routing-profile",
    "AGENT": "agent",
    **dict.fromkeys(HIERARCHY_LEVELS, "agent-group"),
}
FILTER_KEYS = (*_RESOURCE_KINDS, "CHANNEL", SUBTYPE)
GROUPINGS = FILTER_KEYS
# At least one of these filter keys (those AWS authorizes a request by) is required.
_RESOURCE_FILTER_KEYS = ("QUEUE", "ROUTING_PROFILE", *AGENT_KEYS)
# Metrics with a threshold (in seconds), and the others, all answered per queue,
# channel and routing profile; those marked queue-only not per agent.
THRESHOLD_METRICS = ("SERVICE_LEVEL", "SUM_CONTACTS_ANSWERED_IN_X", "SUM_CONTACTS_ABANDONED_IN_X")
METRICS = (
    *THRESHOLD_METRICS,
    "CONTACTS_QUEUED",
    "CONTACTS_HANDLED",
    "CONTACTS_ABANDONED",
    "ABANDONMENT_RATE",
    "AVG_HANDLE_TIME",
    "AVG_QUEUE_ANSWER_TIME",
    "MAX_QUEUED_TIME",
    "AVG_ABANDON_TIME",
)
_QUEUE_ONLY = (*THRESHOLD_METRICS, "AVG_QUEUE_ANSWER_TIME")
_COMPARISONS = ("LT", "LTE")
MAX_THRESHOLD = 604_800
MAX_SERVICE_LEVELS = 20
_MAX_FILTERS = 5
MAX_FILTER_VALUES = 100
_MAX_GROUPINGS = 4
_SHORT_PERIODS = ("FIFTEEN_MIN", "THIRTY_MIN", "HOUR")
SHORT_RANGE_DAYS = 3
LONG_RANGE_DAYS = 35
RETENTION_DAYS = 93  # "3 months"
MAX_RESULTS = 100
_DAY = 86_400.0
_KEYS = (
    "ResourceArn",
    "StartTime",
    "EndTime",
    "Interval",
    "Filters",
    "Groupings",
    "Metrics",
    "NextToken",
    "MaxResults",
)


@dataclass(frozen=True)
class MetricAsked:
    name: str
    comparison: str | None
    threshold: float | None
    echo: dict[str, Any]  # the Metric as asked, for the answer's Collections


@dataclass(frozen=True)
class MetricDataRequest:
    instance_arn: str
    start: float
    end: float
    period: str
    zone: ZoneInfo
    filters: dict[str, frozenset[str]]
    groupings: tuple[str, ...]
    metrics: tuple[MetricAsked, ...]
    size: int
    key: str  # what was asked, for NextToken (MaxResults may change between pages)

    @property
    def by_agent(self) -> bool:
        """Whether contacts must be told apart by the agent who answered them."""
        return any(key in AGENT_KEYS for key in (*self.filters, *self.groupings))


def _bad(message: str) -> ApiError:
    return ApiError(rules.INVALID_PARAMETER, message)


def parse(body: Any, now: float) -> MetricDataRequest:
    """The request, or ApiError naming the first broken rule."""
    if not isinstance(body, Mapping):
        raise ApiError(rules.INVALID_REQUEST, "Request: must be a JSON object")
    only_keys(body, _KEYS, "Request")
    arn = body.get("ResourceArn")
    try:
        instance_arn = rules.parse_instance(arn)[1] if isinstance(arn, str) else None
    except ValueError:
        instance_arn = None
    if instance_arn is None:
        raise _bad(
            "ResourceArn: required, the instance ARN "
            "(arn:aws:connect:<region>:<account>:instance/<instance-id>)"
        )
    start, end = _time(body.get("StartTime"), "StartTime"), _time(body.get("EndTime"), "EndTime")
    if start >= end:
        raise _bad("StartTime: must be before EndTime")
    if end > now:
        raise _bad("EndTime: cannot be later than now")
    if start < now - RETENTION_DAYS * _DAY:
        raise _bad(f"StartTime: data is kept {RETENTION_DAYS} days")
    period, zone = _interval(body.get("Interval"))
    limit = SHORT_RANGE_DAYS if period in _SHORT_PERIODS else LONG_RANGE_DAYS
    if end - start >= limit * _DAY:
        raise ApiError(
            rules.INVALID_REQUEST,
            f"StartTime, EndTime: with IntervalPeriod {period} the range must be "
            f"under {limit} days",
        )
    filters = _filters(body.get("Filters"))
    groupings = _groupings(body.get("Groupings"))
    metrics = _metrics(body.get("Metrics"))
    if any(key in AGENT_KEYS for key in (*filters, *groupings)):
        queue_only = sorted({m.name for m in metrics if m.name in _QUEUE_ONLY})
        if queue_only:
            raise ApiError(
                rules.INVALID_REQUEST,
                f"Metrics: {', '.join(queue_only)} cannot be filtered or grouped by agent "
                "or agent hierarchy",
            )
    size = max_results(body.get("MaxResults"), default=MAX_RESULTS, maximum=MAX_RESULTS)
    if body.get("NextToken") is not None and not isinstance(body["NextToken"], str):
        raise _bad("NextToken: must be a string")
    asked = {
        "range": [start, end, period, zone.key],
        "filters": {key: sorted(values) for key, values in sorted(filters.items())},
        "groupings": groupings,
        "metrics": [m.echo for m in metrics],
    }
    key = hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()
    return MetricDataRequest(
        instance_arn,
        start,
        end,
        period,
        zone,
        filters,
        tuple(groupings),
        tuple(metrics),
        size,
        f"GetMetricDataV2:{key}",
    )


def _time(value: object, field: str) -> float:
    """Epoch seconds, as botocore sends timestamps in a JSON body (or an ISO 8601 text)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    raise _bad(f"{field}: required, a timestamp")


def _interval(value: object) -> tuple[str, ZoneInfo]:
    if value is None:
        return "TOTAL", ZoneInfo("UTC")
    if not isinstance(value, Mapping):
        raise _bad("Interval: must be an object")
    only_keys(value, ("IntervalPeriod", "TimeZone"), "Interval")
    period = value.get("IntervalPeriod") or "TOTAL"
    if period not in PERIODS:
        raise _bad(f"Interval.IntervalPeriod: one of {', '.join(PERIODS)}; got {period!r}")
    name = value.get("TimeZone") or "UTC"
    try:
        zone = ZoneInfo(name) if isinstance(name, str) else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        raise _bad(f"Interval.TimeZone: an IANA time zone such as Europe/London; got {name!r}")
    return period, zone


def _filters(value: object) -> dict[str, frozenset[str]]:
    if not isinstance(value, list) or not 1 <= len(value) <= _MAX_FILTERS:
        raise _bad(f"Filters: a list of 1 to {_MAX_FILTERS} filters")
    filters: dict[str, frozenset[str]] = {}
    counted = 0
    for index, item in enumerate(value):
        field = f"Filters[{index}]"
        if not isinstance(item, Mapping):
            raise _bad(f"{field}: must be an object")
        only_keys(item, ("FilterKey", "FilterValues", "StringCondition"), field)
        if item.get("StringCondition") is not None:
            raise _bad(f"{field}.StringCondition: the simulated centre matches FilterValues only")
        key = item.get("FilterKey")
        if key not in FILTER_KEYS:
            raise _bad(
                f"{field}.FilterKey: the simulated centre answers {', '.join(FILTER_KEYS)}; "
                f"got {key!r}"
            )
        if key in filters:
            raise _bad(f"{field}.FilterKey: {key} is given twice")
        values = item.get("FilterValues")
        values_field = f"{field}.FilterValues"
        if key in _RESOURCE_KINDS:
            ids = id_list(
                values, _RESOURCE_KINDS[key], values_field, minimum=1, maximum=MAX_FILTER_VALUES
            )
        else:
            if (
                not isinstance(values, list)
                or not 1 <= len(values) <= MAX_FILTER_VALUES
                or not all(isinstance(v, str) and v for v in values)
            ):
                raise _bad(f"{values_field}: a list of 1 to {MAX_FILTER_VALUES} strings")
            if key == "CHANNEL":
                unknown = [v for v in values if v not in Channel.__members__]
                if unknown:
                    raise _bad(f"{values_field}: channels are {', '.join(Channel)}; got {unknown}")
            ids = list(values)
        if key != "CHANNEL":
            counted += len(ids)
        filters[key] = frozenset(ids)
    if counted > MAX_FILTER_VALUES:
        raise ApiError(
            rules.INVALID_REQUEST,
            f"Filters: at most {MAX_FILTER_VALUES} values over all filter keys "
            f"(CHANNEL values not counted); got {counted}",
        )
    if not any(key in filters for key in _RESOURCE_FILTER_KEYS):
        raise ApiError(
            rules.INVALID_REQUEST,
            f"Filters: needs one of {', '.join(_RESOURCE_FILTER_KEYS)}",
        )
    return filters


def _groupings(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > _MAX_GROUPINGS:
        raise _bad(f"Groupings: a list of at most {_MAX_GROUPINGS}")
    for grouping in value:
        if grouping not in GROUPINGS:
            raise _bad(
                f"Groupings: the simulated centre answers {', '.join(GROUPINGS)}; got {grouping!r}"
            )
    if len(set(value)) != len(value):
        raise _bad("Groupings: a grouping is given twice")
    return list(value)


def _metrics(value: object) -> list[MetricAsked]:
    if not isinstance(value, list) or not value:
        raise _bad("Metrics: required, a non-empty list")
    metrics = []
    for index, item in enumerate(value):
        field = f"Metrics[{index}]"
        if not isinstance(item, Mapping):
            raise _bad(f"{field}: must be an object")
        only_keys(item, ("Name", "Threshold", "MetricFilters", "MetricId"), field)
        if item.get("MetricId") is not None or item.get("MetricFilters"):
            raise _bad(f"{field}: the simulated centre answers metrics by Name, unfiltered")
        name = item.get("Name")
        if name not in METRICS:
            raise _bad(
                f"{field}.Name: the simulated centre answers {', '.join(METRICS)}; got {name!r}"
            )
        thresholds = item.get("Threshold")
        if name not in THRESHOLD_METRICS:
            if thresholds:
                raise _bad(f"{field}.Threshold: {name} takes no threshold")
            metrics.append(MetricAsked(name, None, None, {"Name": name}))
            continue
        if not isinstance(thresholds, list) or len(thresholds) != 1:
            raise _bad(f"{field}.Threshold: {name} needs exactly one threshold")
        threshold = thresholds[0]
        if not isinstance(threshold, Mapping):
            raise _bad(f"{field}.Threshold[0]: must be an object")
        only_keys(threshold, ("Comparison", "ThresholdValue"), f"{field}.Threshold[0]")
        comparison, seconds = threshold.get("Comparison"), threshold.get("ThresholdValue")
        if comparison not in _COMPARISONS:
            raise _bad(f"{field}.Threshold[0].Comparison: LT or LTE; got {comparison!r}")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or seconds != int(seconds)
            or not 1 <= seconds <= MAX_THRESHOLD
        ):
            raise _bad(
                f"{field}.Threshold[0].ThresholdValue: a whole number of seconds "
                f"from 1 to {MAX_THRESHOLD}; got {seconds!r}"
            )
        metrics.append(
            MetricAsked(
                name,
                comparison,
                float(seconds),
                {
                    "Name": name,
                    "Threshold": [{"Comparison": comparison, "ThresholdValue": float(seconds)}],
                },
            )
        )
    service_levels = sum(1 for m in metrics if m.name == "SERVICE_LEVEL")
    if service_levels > MAX_SERVICE_LEVELS:
        raise _bad(
            f"Metrics: at most {MAX_SERVICE_LEVELS} SERVICE_LEVEL metrics; got {service_levels}"
        )
    return metrics
