"""A today source's GetMetricDataV2 requests, and their rules.

The source asks from the centre's local midnight (the instance's time zone, so a
day that springs forward is 23 hours long and one that falls back 25) to now, in
two shapes: interval TOTAL for each row's day, and FIFTEEN_MIN for the trend of
the service level (asked only when the source shows the service level).

A row is a queue (grouping QUEUE, filtered by the source's queues) or a routing
profile (grouping ROUTING_PROFILE, filtered by its routing profiles). Connect
counts a contact in every routing profile that serves its queue and channel, so
the rows of routing profiles do not add up to the day: a routing-profile source
also asks each shape without a grouping (its `whole` row), the total. So that no
contact is counted twice across requests, a routing-profile source takes at most
100 routing profiles (one request) and the instance's one threshold. Channels
only filter: a grouping by CHANNEL is not a source's choice (`GROUPINGS`).

The metrics shown are the source's choice (`WALL_METRICS`, in its order); the
counts the total is recomputed from (queued, handled, abandoned, answered within
each threshold and at all) are asked whatever is shown, so that a rate or an
average in the total is never an average of the rows'.

GetMetricDataV2 takes at most 100 filter values and 20 SERVICE_LEVEL metrics a
request, and each row's service level needs a SERVICE_LEVEL (and a
SUM_CONTACTS_ANSWERED_IN_X) entry with that row's threshold. So the rows are
split by threshold, at most 20 thresholds a request, then into batches of at most
100 rows; each request asks every threshold of its rows, and each row is read at
its own. Every metric of the wall is answered per queue and per routing profile
(the catalogue of the simulated centre, `parse`, refuses what Connect would).

The rules are the simulated centre's, as botocore's model and the API reference
state them (connectmetrics/simulator/metric_data_request.py `parse`): written once
there, reused here, so the admin, the poller and the simulated centre refuse the
same requests with the same words.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from connectmetrics.client.outcomes import Violation
from connectmetrics.simulator.errors import ApiError
from connectmetrics.simulator.metric_data_request import (
    MAX_FILTER_VALUES,
    MAX_RESULTS,
    MAX_SERVICE_LEVELS,
    MAX_THRESHOLD,
    parse,
)

TOTAL = "TOTAL"
TREND = "FIFTEEN_MIN"
SERVICE_LEVEL = "SERVICE_LEVEL"
QUEUE = "QUEUE"
ROUTING_PROFILE = "ROUTING_PROFILE"
# What a row of a today source is.
GROUPINGS = (QUEUE, ROUTING_PROFILE)
# The metrics a wall shows, in their default order (every one of them).
WALL_METRICS = (
    SERVICE_LEVEL,
    "CONTACTS_QUEUED",
    "CONTACTS_HANDLED",
    "CONTACTS_ABANDONED",
    "ABANDONMENT_RATE",
    "AVG_HANDLE_TIME",
    "AVG_QUEUE_ANSWER_TIME",
    "MAX_QUEUED_TIME",
    "AVG_ABANDON_TIME",
)
# Shown when a source chooses none: the wall's set before the choice existed.
DEFAULT_METRICS = (
    SERVICE_LEVEL,
    "CONTACTS_HANDLED",
    "CONTACTS_ABANDONED",
    "ABANDONMENT_RATE",
    "AVG_HANDLE_TIME",
    "AVG_QUEUE_ANSWER_TIME",
)
# The counts a total is recomputed from, asked whatever is shown; the
# answered-within counts come per threshold.
COUNT_METRICS = ("CONTACTS_QUEUED", "CONTACTS_HANDLED", "CONTACTS_ABANDONED")
TREND_METRICS = ("CONTACTS_QUEUED",)
ANSWERED_IN = "SUM_CONTACTS_ANSWERED_IN_X"
COMPARISON = "LTE"  # "answered within 20 seconds"
# Answered at all: within the longest threshold GetMetricDataV2 takes.
EVER = MAX_THRESHOLD

# The field of the source (or its instance) each part of a request comes from
# ("rows": its queues or its routing profiles, by its grouping).
FIELDS = (
    ("ResourceArn", "instance"),
    ("Interval.TimeZone", "time_zone"),
    ("Filters[1]", "channels"),
    ("Filters", "rows"),
    ("Groupings", "grouping"),
)
ROWS_FIELD = {QUEUE: "queues", ROUTING_PROFILE: "routing_profiles"}


@dataclass(frozen=True)
class RowAsked:
    """A queue or routing profile of the source (by its grouping), and its threshold."""

    resource_id: str
    threshold: int  # seconds


@dataclass(frozen=True)
class Plan:
    """What a source asks, whatever the time: its Source.request() (and what a rest
    after failures depends on)."""

    resource_arn: str
    time_zone: str
    channels: tuple[str, ...]
    rows: tuple[RowAsked, ...]
    grouping: str = QUEUE
    metrics: tuple[str, ...] = DEFAULT_METRICS  # shown, in order

    def as_request(self) -> dict[str, Any]:
        return {
            "ResourceArn": self.resource_arn,
            "TimeZone": self.time_zone,
            "Channels": list(self.channels),
            "Grouping": self.grouping,
            "Rows": [[r.resource_id, r.threshold] for r in self.rows],
            "Metrics": list(self.metrics),
        }

    @classmethod
    def of(cls, request: Mapping[str, Any]) -> "Plan":
        return cls(
            str(request["ResourceArn"]),
            str(request["TimeZone"]),
            tuple(request["Channels"]),
            tuple(RowAsked(str(r), int(t)) for r, t in request["Rows"]),
            str(request["Grouping"]),
            tuple(str(m) for m in request["Metrics"]),
        )

    @property
    def shows_service_level(self) -> bool:
        return SERVICE_LEVEL in self.metrics

    @property
    def whole_asked(self) -> bool:
        """Whether the total is asked on its own (rows that may share contacts)."""
        return self.grouping == ROUTING_PROFILE


@dataclass(frozen=True)
class Asked:
    """One GetMetricDataV2 request of a poll (without NextToken)."""

    period: str
    rows: tuple[RowAsked, ...]
    body: dict[str, Any]
    whole: bool = False  # asked without a grouping: the total of the rows


def day_window(time_zone: str, now: datetime) -> tuple[datetime, datetime]:
    """The centre's day so far: its local midnight to now (whole seconds), in UTC."""
    zone = ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = now.astimezone(UTC).replace(microsecond=0)
    return start, end


def batches(rows: Sequence[RowAsked]) -> list[tuple[RowAsked, ...]]:
    """The rows of each request: at most 20 thresholds, then at most 100 rows, each.
    One empty batch when there are no rows (the rules then say what is missing)."""
    if not rows:
        return [()]
    thresholds = sorted({r.threshold for r in rows})
    out: list[tuple[RowAsked, ...]] = []
    for at in range(0, len(thresholds), MAX_SERVICE_LEVELS):
        group = set(thresholds[at : at + MAX_SERVICE_LEVELS])
        chosen = [r for r in rows if r.threshold in group]
        for start in range(0, len(chosen), MAX_FILTER_VALUES):
            out.append(tuple(chosen[start : start + MAX_FILTER_VALUES]))
    return out


def threshold_metric(name: str, seconds: int) -> dict[str, Any]:
    return {"Name": name, "Threshold": [{"Comparison": COMPARISON, "ThresholdValue": seconds}]}


def _metrics(plan: Plan, period: str, rows: Sequence[RowAsked]) -> list[dict[str, Any]]:
    """The counts always; the other metrics shown; the service level per threshold
    when shown; the answered-within counts per threshold (and at all, for the day)."""
    thresholds = sorted({r.threshold for r in rows})
    if period == TREND:
        plain: list[str] = list(TREND_METRICS)
        extra: list[dict[str, Any]] = []
    else:
        plain = [*COUNT_METRICS]
        plain += [m for m in plan.metrics if m not in plain and m != SERVICE_LEVEL]
        extra = [threshold_metric(ANSWERED_IN, EVER)]
    levels = thresholds if plan.shows_service_level else []
    return [
        *({"Name": name} for name in plain),
        *(threshold_metric(SERVICE_LEVEL, t) for t in levels),
        *(threshold_metric(ANSWERED_IN, t) for t in thresholds),
        *extra,
    ]


def _periods(plan: Plan) -> tuple[str, ...]:
    """The trend is the service level's: asked only when the source shows it."""
    return (TOTAL, TREND) if plan.shows_service_level else (TOTAL,)


def requests_for(plan: Plan, start: datetime, end: datetime) -> list[Asked]:
    """Every request of one poll: the day (TOTAL), then the trend (FIFTEEN_MIN); for a
    routing-profile source each also without a grouping, for the total."""
    out = []
    shapes = (False, True) if plan.whole_asked else (False,)
    for period in _periods(plan):
        for whole in shapes:
            for rows in batches(plan.rows):
                filters: list[dict[str, Any]] = [
                    {"FilterKey": plan.grouping, "FilterValues": [r.resource_id for r in rows]}
                ]
                if plan.channels:
                    filters.append({"FilterKey": "CHANNEL", "FilterValues": list(plan.channels)})
                body = {
                    "ResourceArn": plan.resource_arn,
                    "StartTime": start.isoformat(),
                    "EndTime": end.isoformat(),
                    "Interval": {"IntervalPeriod": period, "TimeZone": plan.time_zone},
                    "Filters": filters,
                    "Groupings": [] if whole else [plan.grouping],
                    "Metrics": _metrics(plan, period, rows),
                    "MaxResults": MAX_RESULTS,
                }
                out.append(Asked(period, rows, body, whole))
    return out


def field_of(message: str, plan: Plan) -> str:
    """The source's field a refusal concerns: a threshold's, or the metrics' chosen."""
    if message.startswith("Metrics"):
        threshold = ".Threshold" in message or SERVICE_LEVEL in message.split(":")[-1]
        return "service_level_threshold" if threshold else "metrics"
    for prefix, field in FIELDS:
        if message.startswith(prefix):
            return ROWS_FIELD.get(plan.grouping, "queues") if field == "rows" else field
    return ""


def _choices(plan: Plan) -> list[Violation]:
    """What the source's own choices break before any request is built."""
    invalid = "InvalidParameterException"
    if plan.grouping not in GROUPINGS:
        message = (
            f"Groupings: a today source's rows are {' or '.join(GROUPINGS)} "
            f"(channels only filter); got {plan.grouping!r}"
        )
        return [Violation(invalid, "grouping", message)]
    unknown = [m for m in plan.metrics if m not in WALL_METRICS]
    if unknown or not plan.metrics or len(set(plan.metrics)) != len(plan.metrics):
        message = (
            f"Metrics: one or more of {', '.join(WALL_METRICS)}, each once; "
            f"got {', '.join(plan.metrics) or 'none'}"
        )
        return [Violation(invalid, "metrics", message)]
    if plan.whole_asked:
        if len(plan.rows) > MAX_FILTER_VALUES:
            message = (
                f"Filters: at most {MAX_FILTER_VALUES} routing profiles, asked in one "
                f"request so that the total counts each contact once; got {len(plan.rows)}"
            )
            return [Violation("InvalidRequestException", "routing_profiles", message)]
        if len({r.threshold for r in plan.rows}) > 1:
            message = "Metrics: the routing profiles of a source share one threshold"
            return [Violation(invalid, "service_level_threshold", message)]
    return []


def check(plan: Plan, now: datetime) -> list[Violation]:
    """What the rules refuse in the requests a poll at `now` sends; empty when valid."""
    chosen = _choices(plan)
    if chosen:
        return chosen
    try:
        start, end = day_window(plan.time_zone, now)
    except (ValueError, KeyError):
        message = (
            f"Interval.TimeZone: an IANA time zone such as Europe/London; got {plan.time_zone!r}"
        )
        return [Violation("InvalidParameterException", "time_zone", message)]
    if start >= end:
        return []  # the first second of the day: nothing to ask yet
    for asked in requests_for(plan, start, end):
        try:
            parse(asked.body, now.timestamp())
        except ApiError as error:
            return [Violation(error.code, field_of(error.message, plan), error.message)]
    return []
