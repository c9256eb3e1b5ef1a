"""The trend rule, the same for every kind of source and on every client (docs/messages.md).

Each row of a source may keep a trend per metric: points in 30-second buckets
(epoch milliseconds), the last 60 minutes. A poll adds at most one point per
row and metric; a point in the bucket of the series' last point replaces it.
The readings store keeps the history (connectmetrics/poller/readings.py); a snapshot
carries it whole and an update names only the bucket of its new points.
"""

from datetime import datetime

from connectmetrics.sources.kind import TrendPoints, Trends

TREND_BUCKET_MS = 30_000
TREND_WINDOW_MS = 60 * 60 * 1000


def trend_bucket(moment: datetime) -> int:
    """The 30-second bucket (epoch milliseconds) a moment falls in."""
    ms = int(moment.timestamp() * 1000)
    return ms - ms % TREND_BUCKET_MS


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
    """The trend rule, applied in place.

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
