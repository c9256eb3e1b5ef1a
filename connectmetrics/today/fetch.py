"""Every page of every GetMetricDataV2 request of a today source's poll, read into
counts per row, a queue or a routing profile (the day), and per row and quarter
hour (the trend); for a routing-profile source also the whole (the requests
without a grouping: its total, each contact once). Each
request's results are kept as Connect answered them too, for the endpoints (kind.py
`learn`, cover.py).

The client (connectmetrics/client/client.py) paces every call by GetMetricDataV2's quota
(connectmetrics/client/quotas.py). A row no contact reached today has no results: its
counts are zero and its figures None. A null value (no data, or nothing to divide
by) counts as nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectmetrics.client.client import client_for
from connectmetrics.client.outcomes import classify
from connectmetrics.models import ConnectInstance
from connectmetrics.today import rules
from connectmetrics.today.totals import Counts

# (metric name, threshold in seconds or None) -> value
Values = dict[tuple[str, int | None], float | None]


@dataclass(frozen=True)
class Quarter:
    """One row's quarter hour: for the trend line."""

    start_ms: int  # the interval's start, epoch milliseconds
    queued: int
    answered_in_threshold: int
    service_level: float | None  # Connect's, at the row's threshold


@dataclass
class RowDay:
    """One row's day so far: a queue's or a routing profile's (by the source's grouping)."""

    resource_id: str
    threshold: int
    counts: Counts = field(default_factory=Counts)
    # Connect's own figures for the row (None: no data, nothing to divide by, or not asked).
    service_level: float | None = None
    abandonment_rate: float | None = None
    avg_handle_time: float | None = None
    avg_answer_time: float | None = None
    avg_abandon_time: float | None = None
    trend: list[Quarter] = field(default_factory=list)


@dataclass(frozen=True)
class Answered:
    """One request of the poll (without NextToken) and every page of its MetricResults,
    as botocore parsed them."""

    body: dict[str, Any]
    results: list[dict[str, Any]]


@dataclass
class TodayFetched:
    rows: list[RowDay]  # one per queue or routing profile of the source, in its order
    calls: int  # requests sent (pages)
    day_start: datetime  # the centre's local midnight, as asked
    as_of: datetime  # the EndTime asked
    answered: list[Answered] = field(default_factory=list)  # in the order sent
    # The rows together, asked on their own (routing profiles share contacts); None:
    # the total is the rows' sum.
    whole: RowDay | None = None


def values_of(result: Mapping[str, Any]) -> Values:
    out: Values = {}
    for collection in result.get("Collections", []):
        metric = collection.get("Metric") or {}
        thresholds = metric.get("Threshold") or []
        seconds = int(thresholds[0]["ThresholdValue"]) if thresholds else None
        value = collection.get("Value")
        out[(str(metric.get("Name")), seconds)] = None if value is None else float(value)
    return out


def _whole(value: float | None) -> int:
    return round(value) if value is not None else 0


def day_counts(values: Values, threshold: int) -> Counts:
    handled = _whole(values.get(("CONTACTS_HANDLED", None)))
    abandoned = _whole(values.get(("CONTACTS_ABANDONED", None)))
    answered = _whole(values.get((rules.ANSWERED_IN, rules.EVER)))
    return Counts(
        queued=_whole(values.get(("CONTACTS_QUEUED", None))),
        handled=handled,
        abandoned=abandoned,
        answered=answered,
        answered_in_threshold=_whole(values.get((rules.ANSWERED_IN, threshold))),
        handle_seconds=(values.get(("AVG_HANDLE_TIME", None)) or 0.0) * handled,
        answer_seconds=(values.get(("AVG_QUEUE_ANSWER_TIME", None)) or 0.0) * answered,
        abandon_seconds=(values.get(("AVG_ABANDON_TIME", None)) or 0.0) * abandoned,
        max_queued_time=values.get(("MAX_QUEUED_TIME", None)),
    )


def _ms(moment: Any) -> int:
    if isinstance(moment, datetime):
        return round(moment.timestamp() * 1000)
    return round(float(moment) * 1000)


def _results(client: Any, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    params = dict(body)
    results: list[dict[str, Any]] = []
    calls = 0
    while True:
        try:
            answer = client.get_metric_data_v2(**params)
        except Exception as error:
            raise classify(error) from error
        calls += 1
        results.extend(answer.get("MetricResults", []))
        token = answer.get("NextToken")
        if not token:
            return results, calls
        params["NextToken"] = token


def fetch_today(instance: ConnectInstance, plan: rules.Plan, now: datetime) -> TodayFetched:
    """Raises UpstreamError (connectmetrics/client/outcomes.py) on any failure."""
    start, end = rules.day_window(plan.time_zone, now)
    days = {r.resource_id: RowDay(r.resource_id, r.threshold) for r in plan.rows}
    fetched = TodayFetched(list(days.values()), 0, start, end)
    if plan.whole_asked and plan.rows:
        fetched.whole = RowDay("", plan.rows[0].threshold)
    if start >= end or not plan.rows:
        return fetched
    client = client_for(instance)
    for asked in rules.requests_for(plan, start, end):
        results, calls = _results(client, asked.body)
        fetched.calls += calls
        fetched.answered.append(Answered(asked.body, results))
        for result in results:
            if asked.whole:
                day = fetched.whole
            else:
                day = days.get(str((result.get("Dimensions") or {}).get(plan.grouping, "")))
            if day is None:
                continue
            values = values_of(result)
            if asked.period == rules.TOTAL:
                _read_day(day, values)
            else:
                interval = result.get("MetricInterval") or {}
                day.trend.append(
                    Quarter(
                        _ms(interval.get("StartTime")),
                        _whole(values.get(("CONTACTS_QUEUED", None))),
                        _whole(values.get((rules.ANSWERED_IN, day.threshold))),
                        values.get((rules.SERVICE_LEVEL, day.threshold)),
                    )
                )
    for day in [*days.values(), *([fetched.whole] if fetched.whole else [])]:
        day.trend.sort(key=lambda quarter: quarter.start_ms)
    return fetched


def _read_day(day: RowDay, values: Values) -> None:
    day.counts = day_counts(values, day.threshold)
    day.service_level = values.get((rules.SERVICE_LEVEL, day.threshold))
    day.abandonment_rate = values.get(("ABANDONMENT_RATE", None))
    day.avg_handle_time = values.get(("AVG_HANDLE_TIME", None))
    day.avg_answer_time = values.get(("AVG_QUEUE_ANSWER_TIME", None))
    day.avg_abandon_time = values.get(("AVG_ABANDON_TIME", None))
