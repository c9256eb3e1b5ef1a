"""The rule a screen applies the socket's messages by (docs/messages.md), written from the
doc's words rather than the server's code: what static/wallboard/state.js does, in Python,
for tests of the server's messages."""

import msgspec

from connectmetrics.wire.socket_messages import Row, Snapshot, Trends, Update

TREND_WINDOW_MS = 60 * 60 * 1000


class OutOfStep(Exception):
    """The update does not follow the state: the screen needs a fresh snapshot."""


def apply_update(state: Snapshot, update: Update) -> Snapshot:
    """The state after `update`: unchanged for another queue filter or an update
    already applied; OutOfStep when the update's base is not the state's seq."""
    if update.queue_filter != state.queue_filter or update.seq <= state.seq:
        return state
    if update.base != state.seq:
        raise OutOfStep(f"update {update.seq} applies to {update.base}, the screen has {state.seq}")
    by_key = {row.key: row for row in state.rows}
    for row in update.rows:
        by_key[row.key] = row
    metrics = update.metrics if isinstance(update.metrics, list) else state.metrics
    for at, change in update.changes.items():
        row = by_key[state.rows[at].key]
        by_key[row.key] = msgspec.structs.replace(
            row,
            values={**row.values, **{metrics[m].name: v for m, v in change.values.items()}},
            levels={**row.levels, **{metrics[m].name: v for m, v in change.levels.items()}},
        )
    if isinstance(update.order, list):
        keys = [state.rows[e].key if isinstance(e, int) else e for e in update.order]
    else:
        keys = [row.key for row in state.rows]
    rows = [by_key[key] for key in keys]
    trend_metrics = (
        update.trend_metrics if isinstance(update.trend_metrics, list) else state.trend_metrics
    )
    trends = {key: {m: list(s) for m, s in series.items()} for key, series in state.trends.items()}
    if update.trend_bucket is not None:
        add_points(trends, rows, trend_metrics, update.trend_bucket)
    return Snapshot(
        queue_filter=update.queue_filter,
        seq=update.seq,
        published_at=update.published_at,
        build=update.build,
        status=update.status,
        reason=update.reason,
        data_snapshot_time=update.data_snapshot_time,
        fetched_at=update.fetched_at,
        poll_interval=update.poll_interval,
        metrics=metrics,
        groupings=update.groupings if isinstance(update.groupings, list) else state.groupings,
        trend_metrics=trend_metrics,
        rows=rows,
        totals=update.totals,
        trends=trends,
    )


def add_points(trends: Trends, rows: list[Row], trend_metrics: list[str], bucket: int) -> None:
    """Each row's trend metrics get a point at `bucket` (replacing a point in the same
    bucket), then points 60 minutes or more before it go, and emptied series and rows."""
    for row in rows:
        for metric in trend_metrics:
            if metric not in row.values:
                continue
            history = trends.setdefault(row.key, {}).setdefault(metric, [])
            point = (bucket, row.values[metric])
            if history and history[-1][0] == bucket:
                history[-1] = point
            else:
                history.append(point)
    for key in list(trends):
        for metric in list(trends[key]):
            kept = [p for p in trends[key][metric] if p[0] > bucket - TREND_WINDOW_MS]
            if kept:
                trends[key][metric] = kept
            else:
                del trends[key][metric]
        if not trends[key]:
            del trends[key]
