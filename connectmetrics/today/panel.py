"""A today source's rows and total, its `today_snapshot` and its compact `today_update`.

Each row (a queue or a routing profile) shows Connect's own figures for it (its
service level at its own threshold, abandonment rate, averages); the total is
recomputed from the rows' counts (totals.py), never averaged, or for routing
profiles (which share contacts) from the counts of the whole, asked on its own.
The trend is each quarter hour's service level since the centre's midnight; the
total's from the quarter's summed counts. `columns` are the metrics the source
shows, in its order: the panel shows those alone.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from connectmetrics.sources import keyed
from connectmetrics.sources.stale import marked_stale
from connectmetrics.today import totals
from connectmetrics.today.fetch import RowDay, TodayFetched
from connectmetrics.wire import source_messages
from connectmetrics.wire.message_builder import WAITING_REASON, iso, published
from connectmetrics.wire.socket_messages import (
    TodayFigures,
    TodayRow,
    TodaySnapshot,
    TodayTotal,
    TodayUpdate,
    TrendPoint,
)
from connectmetrics.wire.source_messages import SourceBody


class TodayBody(SourceBody):
    """What a poll decides: the rows and total, their status, and the range asked."""

    day_start: str | None
    as_of: str | None
    time_zone: str
    rows: list[TodayRow]
    total: TodayTotal | None
    # Defaults: a body kept before sources chose (read back after an upgrade).
    grouping: str = "QUEUE"
    columns: list[str] = []


@dataclass(frozen=True)
class RowShown:
    """What the database says of a queue or routing profile of the source: its name
    and target."""

    label: str
    target: int


def _figures(counts: totals.Counts, day: RowDay | None = None) -> TodayFigures:
    """A row's figures are Connect's own for its queue; a total's recomputed."""
    if day is not None:
        return TodayFigures(
            queued=counts.queued,
            handled=counts.handled,
            abandoned=counts.abandoned,
            service_level=day.service_level,
            abandonment_rate=day.abandonment_rate,
            avg_handle_time=day.avg_handle_time,
            avg_answer_time=day.avg_answer_time,
            max_queued_time=counts.max_queued_time,
            avg_abandon_time=day.avg_abandon_time,
        )
    return TodayFigures(
        queued=counts.queued,
        handled=counts.handled,
        abandoned=counts.abandoned,
        service_level=totals.service_level(counts),
        abandonment_rate=totals.abandonment_rate(counts),
        avg_handle_time=totals.avg_handle_time(counts),
        avg_answer_time=totals.avg_answer_time(counts),
        max_queued_time=counts.max_queued_time,
        avg_abandon_time=totals.avg_abandon_time(counts),
    )


def _total_trend(days: Iterable[RowDay]) -> list[TrendPoint]:
    queued: dict[int, int] = {}
    within: dict[int, int] = {}
    for day in days:
        for quarter in day.trend:
            queued[quarter.start_ms] = queued.get(quarter.start_ms, 0) + quarter.queued
            within[quarter.start_ms] = (
                within.get(quarter.start_ms, 0) + quarter.answered_in_threshold
            )
    return [
        (start, totals.service_level(totals.Counts(queued=queued[start], answered_in_threshold=n)))
        for start, n in sorted(within.items())
    ]


def build_rows(fetched: TodayFetched, shown: dict[str, RowShown]) -> list[TodayRow]:
    rows = []
    for day in fetched.rows:
        queue = shown.get(day.resource_id, RowShown(day.resource_id, 0))
        figures = _figures(day.counts, day)
        rows.append(
            TodayRow(
                key=day.resource_id,
                label=queue.label,
                threshold=day.threshold,
                target=queue.target,
                level=totals.target_level(figures.service_level, queue.target),
                figures=figures,
                trend=[(q.start_ms, q.service_level) for q in day.trend],
            )
        )
    return sorted(rows, key=lambda row: (row.label, row.key))


def build_total(fetched: TodayFetched, target: int) -> TodayTotal:
    """The rows' counts summed, or the whole's where the rows share contacts."""
    parts = [fetched.whole] if fetched.whole is not None else fetched.rows
    figures = _figures(totals.total(day.counts for day in parts))
    return TodayTotal(
        target=target,
        level=totals.target_level(figures.service_level, target),
        figures=figures,
        trend=_total_trend(parts),
    )


def ok_body(
    fetched: TodayFetched,
    shown: dict[str, RowShown],
    *,
    target: int,
    time_zone: str,
    grouping: str,
    columns: list[str],
    fetched_at: datetime,
    poll_interval: int,
) -> TodayBody:
    return TodayBody(
        status="ok",
        reason="",
        fetched_at=iso(fetched_at),
        poll_interval=poll_interval,
        day_start=iso(fetched.day_start.astimezone(UTC)),
        as_of=iso(fetched.as_of.astimezone(UTC)),
        time_zone=time_zone,
        grouping=grouping,
        columns=columns,
        rows=build_rows(fetched, shown),
        total=build_total(fetched, target),
    )


def failed_body(
    last_good: TodayBody | None,
    *,
    reason: str,
    poll_interval: int,
    time_zone: str,
    grouping: str,
    columns: list[str],
) -> TodayBody:
    """After a failed poll: the last good figures marked stale, or an error with none."""
    if last_good is not None:
        return marked_stale(last_good, reason=reason, poll_interval=poll_interval)
    return TodayBody(
        "error", reason, None, poll_interval, None, None, time_zone, [], None, grouping, columns
    )


def snapshot(
    source: str, *, seq: int, body: TodayBody, published_at: datetime, build: str
) -> TodaySnapshot:
    return published(
        TodaySnapshot, body, seq=seq, published_at=published_at, build=build, source=source
    )


def waiting_snapshot(source: str, *, published_at: datetime, build: str) -> TodaySnapshot:
    """The snapshot a socket gets before the source's first poll (no time zone yet)."""
    body = TodayBody("stale", WAITING_REASON, None, None, None, None, "", [], None, "", [])
    return snapshot(source, seq=0, body=body, published_at=published_at, build=build)


def update(
    base: TodaySnapshot, *, seq: int, body: TodayBody, published_at: datetime, build: str
) -> TodayUpdate:
    """What changed since `base`: the changed and new rows whole, the keys gone."""
    changed, gone = keyed.changes(base.rows, body.rows)
    return published(
        TodayUpdate,
        body,
        seq=seq,
        published_at=published_at,
        build=build,
        source=base.source,
        base=base.seq,
        rows=changed,
        gone=gone,
    )


def apply_update(base: TodaySnapshot, message: TodayUpdate) -> TodaySnapshot:
    """The page's rule (state.js) on the server's side: `base` with `message` applied,
    for tests to compare with a fresh snapshot."""
    rows = keyed.applied(base.rows, message.rows, message.gone)
    return source_messages.applied(
        base, message, rows=sorted(rows, key=lambda row: (row.label, row.key))
    )
