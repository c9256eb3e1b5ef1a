"""Build the snapshot and update messages from one poll (see docs/messages.md).

Pure functions of their arguments: the poller gathers what they need (the fetch
result, names and thresholds from the database, the trend history and the
snapshot kept in the readings store) and they return the typed messages of
connectmetrics/wire/socket_messages.py, ready to encode once.

A poll's *body* is what the numbers are and how good they are. A "snapshot" is
the body plus the envelope of one publication (seq, published_at, build) and the
whole trend history; an "update" carries only what changed since the snapshot
kept before it (`base`), which every screen has applied. `published` puts a body in
its envelope for every kind (the agent and today sources' builders too).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

from connectmetrics.connectapi.catalogue import (
    DIMENSION_FIELDS,
    METRICS,
    TREND_METRICS,
    Grouping,
    Unit,
    total_of,
)
from connectmetrics.sources.kind import TrendPoints
from connectmetrics.sources.stale import marked_stale
from connectmetrics.wire.socket_messages import (
    Dimension,
    Metric,
    Resource,
    Row,
    RowChange,
    Snapshot,
    Status,
    Totals,
    Trends,
    Update,
    Value,
)
from connectmetrics.wire.thresholds import Band, Level

MessageT = TypeVar("MessageT", bound=msgspec.Struct)

WAITING_REASON = "Waiting for the first numbers from Amazon Connect"

# AWS's Dimensions field for each grouping.

_SEVERITY = {Level.OK: 0, Level.WARNING: 1, Level.CRITICAL: 2}


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

    def shown_at(self) -> str | None:
        """When the numbers shown are from: Connect's snapshot time, else the fetch's."""
        return self.data_snapshot_time or self.fetched_at


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
    """Rows of the message from connectmetrics.client.client MetricRows, in the order fetched."""
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
        return marked_stale(last_good, reason=reason, poll_interval=poll_interval)
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


def published(
    message: type[MessageT],
    body: msgspec.Struct,
    *,
    seq: int,
    published_at: datetime,
    build: str,
    **fields: Any,
) -> MessageT:
    """A snapshot or update of type `message`, of every kind, in the envelope of one
    publication (seq, published_at, build): every field of the poll's `body` by name, but
    those `fields` give (what names the source, and what the message carries in place of a
    field of the body)."""
    return message(
        **{**msgspec.structs.asdict(body), **fields},
        seq=seq,
        published_at=iso(published_at) or "",
        build=build,
    )


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
    return published(
        Snapshot,
        body,
        seq=seq,
        published_at=published_at,
        build=build,
        queue_filter=queue_filter_id,
        trend_metrics=list(TREND_METRICS),
        trends=trends,
    )


def _row_change(before: Row, after: Row, column: dict[str, int]) -> RowChange | None:
    """What changed in a row, its cells named by their position in the metrics
    (`column`), or None when it must be sent whole (its label, dimensions or set of
    cells changed, or a cell is not one of the metrics)."""
    if (
        before.label != after.label
        or before.dimensions != after.dimensions
        or before.values.keys() != after.values.keys()
        or before.levels.keys() != after.levels.keys()
        or not after.values.keys() <= column.keys()
        or not after.levels.keys() <= column.keys()
    ):
        return None
    return RowChange(
        values={column[m]: v for m, v in after.values.items() if before.values[m] != v},
        levels={column[m]: v for m, v in after.levels.items() if before.levels[m] != v},
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
    column = {metric.name: at for at, metric in enumerate(body.metrics)}
    whole: list[Row] = []
    changes: dict[int, RowChange] = {}
    for row in body.rows:
        at = position.get(row.key)
        change = _row_change(base.rows[at], row, column) if at is not None else None
        if at is None or change is None:
            whole.append(row)
        elif change.values or change.levels:
            changes[at] = change
    keys = [row.key for row in body.rows]
    unchanged_order = keys == [row.key for row in base.rows]
    order = [position.get(key, key) for key in keys]
    unset = msgspec.UNSET
    return published(
        Update,
        body,
        seq=seq,
        published_at=published_at,
        build=build,
        queue_filter=base.queue_filter,
        base=base.seq,
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
