"""Build the snapshot and update messages from one poll (see docs/messages.md).

Pure functions of their arguments: the poller gathers what they need (the fetch
result, names and thresholds from the database, the trend history and the
snapshot kept in the readings store) and they return the typed messages of
connectmetrics/socket_messages.py, ready to encode once.

A poll's *body* is what the numbers are and how good they are. A "snapshot" is
the body plus the envelope of one publication (seq, published_at, build) and the
whole trend history; an "update" carries only what changed since the snapshot
kept before it (`base`), which every screen has applied.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from connectmetrics.catalogue import (
    DIMENSION_FIELDS,
    METRICS,
    TREND_METRICS,
    Grouping,
    Unit,
    total_of,
)
from connectmetrics.socket_messages import (
    Dimension,
    Metric,
    Resource,
    Row,
    RowChange,
    Snapshot,
    Status,
    Totals,
    TrendPoint,
    Trends,
    Update,
    Value,
)
from connectmetrics.thresholds import Band, Level

TREND_BUCKET_MS = 30_000
TREND_WINDOW_MS = 60 * 60 * 1000

WAITING_REASON = "Waiting for the first numbers from Amazon Connect"

# AWS's Dimensions field for each grouping.

_SEVERITY = {Level.OK: 0, Level.WARNING: 1, Level.CRITICAL: 2}

# Row key -> metric -> (bucket, value): one poll's new trend points.
TrendPoints = dict[str, dict[str, TrendPoint]]


class Body(msgspec.Struct):
    """What one poll found: the numbers and how good they are (kept as the last good
    body while polls fail)."""

    status: Status
    reason: str
    data_snapshot_time: str | None
    fetched_at: str | None
    poll_interval: int | None
    metrics: list[Metric]
    groupings: list[str]
    rows: list[Row]
    totals: Totals


@dataclass(frozen=True)
class Named:
    """A queue or routing profile as the database knows it."""

    name: str
    arn: str = ""


@dataclass(frozen=True)
class Names:
    queues: Mapping[str, Named]
    routing_profiles: Mapping[str, Named]


@dataclass(frozen=True)
class ThresholdRule:
    """A threshold on one metric, for one queue or (queue_id None) for every row."""

    metric: str
    band: Band
    queue_id: str | None = None


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and a Z: 2026-11-26T08:03:22.123Z."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def trend_bucket(moment: datetime) -> int:
    """The 30-second bucket (epoch milliseconds) a moment falls in."""
    ms = int(moment.timestamp() * 1000)
    return ms - ms % TREND_BUCKET_MS


def _clean_value(metric: str, value: float | None) -> float | int | None:
    if value is None:
        return None
    known = METRICS.get(metric)
    if known is not None and known.unit is Unit.COUNT and float(value).is_integer():
        return int(value)
    return value


def _dimension(grouping: str, raw: Any, names: Names) -> Dimension:
    if grouping in (Grouping.QUEUE, Grouping.ROUTING_PROFILE) and isinstance(raw, dict):
        catalogue = names.queues if grouping == Grouping.QUEUE else names.routing_profiles
        ident = str(raw.get("Id") or "")
        known = catalogue.get(ident)
        return Resource(
            id=ident,
            arn=str(raw.get("Arn") or (known.arn if known else "")),
            name=known.name if known else ident,
        )
    if isinstance(raw, dict):
        return Resource(id=str(raw.get("Id") or ""), arn=str(raw.get("Arn") or ""))
    return str(raw)


def _label_part(grouping: str, value: Dimension) -> str:
    if isinstance(value, Resource):
        return (value.name if isinstance(value.name, str) else "") or value.id
    if grouping == Grouping.CHANNEL:
        return value.capitalize()
    return value


def dimensions_and_label(
    aws_dimensions: Mapping[str, Any], groupings: Sequence[str], names: Names
) -> tuple[dict[str, Dimension], str]:
    """The row's dimensions keyed by grouping, with names, and its label ("Sales · Voice")."""
    if not groupings:
        return {}, "All"
    dimensions = {
        grouping: _dimension(grouping, aws_dimensions.get(DIMENSION_FIELDS[grouping]), names)
        for grouping in groupings
    }
    label = " · ".join(_label_part(g, dimensions[g]) for g in groupings)
    return dimensions, label


def _worst(levels: Iterable[Level]) -> Level:
    return max(levels, key=_SEVERITY.__getitem__, default=Level.OK)


def cell_levels(
    values: Mapping[str, Value],
    queue_id: str | None,
    thresholds: Sequence[ThresholdRule],
) -> dict[str, Any]:
    """The level of every cell that has a threshold.

    A threshold for this row's queue replaces the every-row ones on that metric;
    two thresholds that apply alike count by the worse level.
    """
    levels: dict[str, Any] = {}
    for metric in values:
        rules = [t for t in thresholds if t.metric == metric and t.queue_id is not None]
        rules = [t for t in rules if t.queue_id == queue_id] or [
            t for t in thresholds if t.metric == metric and t.queue_id is None
        ]
        if rules:
            levels[metric] = _worst(t.band.level(values[metric]) for t in rules).value
    return levels


def build_rows(
    fetched: Iterable[Any],
    groupings: Sequence[str],
    metrics: Sequence[str],
    names: Names,
    thresholds: Sequence[ThresholdRule],
) -> list[Row]:
    """Rows of the message from connectmetrics.client MetricRows, in the order fetched."""
    rows = []
    for row in fetched:
        dimensions, label = dimensions_and_label(row.dimensions, groupings, names)
        values = {m: _clean_value(m, row.values.get(m)) for m in metrics}
        queue = dimensions.get(Grouping.QUEUE)
        queue_id = queue.id if isinstance(queue, Resource) else None
        rows.append(
            Row(
                key=row.key,
                label=label,
                dimensions=dimensions,
                values=values,
                levels=cell_levels(values, queue_id, thresholds),
            )
        )
    return rows


def build_totals(rows: Sequence[Row], metrics: Sequence[str], groupings: Sequence[str]) -> Totals:
    """Totals per the catalogue's total_of (sum or max; "none" left out).

    A total's level is the worst level in its column: the totals row turns
    critical when some row is, so a glance at it tells whether to look further.
    """
    values: dict[str, Value] = {}
    levels: dict[str, Any] = {}
    for metric in metrics:
        kind = total_of(metric, groupings) if metric in METRICS else "none"
        if kind == "none":
            continue
        known = [v for r in rows if (v := r.values.get(metric)) is not None]
        if not known:
            values[metric] = None
        else:
            values[metric] = _clean_value(metric, sum(known) if kind == "sum" else max(known))
        column = [Level(r.levels[metric]) for r in rows if metric in r.levels]
        if column:
            levels[metric] = _worst(column).value
    return Totals(values=values, levels=levels)


def metric_columns(metrics: Sequence[str]) -> list[Metric]:
    return [
        Metric(name=m, unit=METRICS[m].unit.value, label=METRICS[m].label)
        for m in metrics
        if m in METRICS
    ]


def ok_body(
    *,
    rows: list[Row],
    metrics: Sequence[str],
    groupings: Sequence[str],
    data_snapshot_time: datetime | None,
    fetched_at: datetime,
    poll_interval: int,
) -> Body:
    """The body of a good poll."""
    return Body(
        status="ok",
        reason="",
        data_snapshot_time=iso(data_snapshot_time),
        fetched_at=iso(fetched_at),
        poll_interval=poll_interval,
        metrics=metric_columns(metrics),
        groupings=list(groupings),
        rows=rows,
        totals=build_totals(rows, metrics, groupings),
    )


def failed_body(
    last_good: Body | None,
    *,
    reason: str,
    metrics: Sequence[str],
    groupings: Sequence[str],
    poll_interval: int,
) -> Body:
    """After a failed poll: the last good numbers marked stale, or an error with none."""
    if last_good is not None:
        return msgspec.structs.replace(
            last_good, status="stale", reason=reason, poll_interval=poll_interval
        )
    return Body(
        status="error",
        reason=reason,
        data_snapshot_time=None,
        fetched_at=None,
        poll_interval=poll_interval,
        metrics=metric_columns(metrics),
        groupings=list(groupings),
        rows=[],
        totals=Totals(values={}, levels={}),
    )


def trend_points(
    rows: Sequence[Row], bucket: int, trend_metrics: Sequence[str] = TREND_METRICS
) -> TrendPoints:
    """The newest point of each row's trend metrics (the same rule on every client:
    an update names only the bucket)."""
    points: TrendPoints = {}
    for row in rows:
        series = {m: (bucket, row.values[m]) for m in trend_metrics if m in row.values}
        if series:
            points[row.key] = series
    return points


def newest_bucket(trends: Trends) -> int | None:
    lasts = [series[-1][0] for row in trends.values() for series in row.values() if series]
    return max(lasts, default=None)


def is_in_order(trends: Trends, points: TrendPoints) -> bool:
    """Whether the points may follow the history: none older than its newest bucket
    (a worker whose clock lags must not make every client's series go backwards)."""
    newest = newest_bucket(trends)
    if newest is None:
        return True
    return all(point[0] >= newest for series in points.values() for point in series.values())


def apply_trend_points(trends: Trends, points: TrendPoints) -> Trends:
    """The trend rule shared with every client (docs/messages.md), applied in place.

    A point in the same bucket as the series' last point replaces it, otherwise
    it is appended; then every point more than 60 minutes before the newest
    bucket is dropped, in every series, and emptied series and rows go away.
    """
    newest: int | None = None
    for key, series in points.items():
        row = trends.setdefault(key, {})
        for metric, point in series.items():
            history = row.setdefault(metric, [])
            if history and history[-1][0] == point[0]:
                history[-1] = point
            else:
                history.append(point)
            newest = point[0] if newest is None else max(newest, point[0])
    if newest is None:
        return trends
    oldest_kept = newest - TREND_WINDOW_MS
    for key in list(trends):
        row = trends[key]
        for metric in list(row):
            kept = [p for p in row[metric] if p[0] > oldest_kept]
            if kept:
                row[metric] = kept
            else:
                del row[metric]
        if not row:
            del trends[key]
    return trends


def snapshot(
    *,
    queue_filter_id: int,
    seq: int,
    body: Body,
    published_at: datetime,
    build: str,
    trends: Trends,
) -> Snapshot:
    """Everything a screen starts from: the body, its envelope, the whole trend history."""
    return Snapshot(
        queue_filter=queue_filter_id,
        seq=seq,
        published_at=iso(published_at) or "",
        build=build,
        status=body.status,
        reason=body.reason,
        data_snapshot_time=body.data_snapshot_time,
        fetched_at=body.fetched_at,
        poll_interval=body.poll_interval,
        metrics=body.metrics,
        groupings=body.groupings,
        trend_metrics=list(TREND_METRICS),
        rows=body.rows,
        totals=body.totals,
        trends=trends,
    )


def _row_change(before: Row, after: Row) -> RowChange | None:
    """What changed in a row, or None when it must be sent whole (its label,
    dimensions or set of cells changed)."""
    if (
        before.label != after.label
        or before.dimensions != after.dimensions
        or before.values.keys() != after.values.keys()
        or before.levels.keys() != after.levels.keys()
    ):
        return None
    return RowChange(
        values={m: v for m, v in after.values.items() if before.values[m] != v},
        levels={m: v for m, v in after.levels.items() if before.levels[m] != v},
    )


def update(
    base: Snapshot,
    *,
    seq: int,
    body: Body,
    published_at: datetime,
    build: str,
    bucket: int | None,
) -> Update:
    """What changed from the snapshot `base` (the one kept before this poll) to `body`.

    `bucket` is this poll's trend bucket when its points were added to the
    history, None when not (a failed poll, or points older than the history).
    """
    position = {row.key: at for at, row in enumerate(base.rows)}
    whole: list[Row] = []
    changes: dict[int, RowChange] = {}
    for row in body.rows:
        at = position.get(row.key)
        change = _row_change(base.rows[at], row) if at is not None else None
        if at is None or change is None:
            whole.append(row)
        elif change.values or change.levels:
            changes[at] = change
    keys = [row.key for row in body.rows]
    unchanged_order = keys == [row.key for row in base.rows]
    order = [position.get(key, key) for key in keys]
    unset = msgspec.UNSET
    return Update(
        queue_filter=base.queue_filter,
        seq=seq,
        base=base.seq,
        published_at=iso(published_at) or "",
        build=build,
        status=body.status,
        reason=body.reason,
        data_snapshot_time=body.data_snapshot_time,
        fetched_at=body.fetched_at,
        poll_interval=body.poll_interval,
        totals=body.totals,
        trend_bucket=bucket if body.rows else None,
        order=unset if unchanged_order else order,
        rows=whole,
        changes=changes,
        metrics=body.metrics if body.metrics != base.metrics else unset,
        groupings=body.groupings if body.groupings != base.groupings else unset,
        trend_metrics=(list(TREND_METRICS) if list(TREND_METRICS) != base.trend_metrics else unset),
    )


def waiting_snapshot(queue_filter_id: int, *, published_at: datetime, build: str) -> Snapshot:
    """The snapshot a socket gets before the first poll of its queue filter."""
    body = Body(
        status="stale",
        reason=WAITING_REASON,
        data_snapshot_time=None,
        fetched_at=None,
        poll_interval=None,
        metrics=[],
        groupings=[],
        rows=[],
        totals=Totals(values={}, levels={}),
    )
    return snapshot(
        queue_filter_id=queue_filter_id,
        seq=0,
        body=body,
        published_at=published_at,
        build=build,
        trends={},
    )
