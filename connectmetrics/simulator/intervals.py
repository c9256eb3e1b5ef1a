"""GetMetricDataV2's intervals: a time range cut by an interval period in a time zone.

Boundaries are where the local clock of the time zone reads a whole period:
every quarter or half hour, every hour (so a day that springs forward has 23
hourly intervals and one that falls back 25), every local midnight (a day is 23
or 25 hours long on those days), every Monday's local midnight. The first and
last intervals are cut at StartTime and EndTime. TOTAL is the whole range.
"""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from math import ceil
from zoneinfo import ZoneInfo

PERIODS = ("FIFTEEN_MIN", "THIRTY_MIN", "HOUR", "DAY", "WEEK", "TOTAL")
_MINUTES = {"FIFTEEN_MIN": 15, "THIRTY_MIN": 30, "HOUR": 60}
_QUARTER = 900.0  # every time zone's offset is a whole number of quarter hours


def intervals(period: str, zone: ZoneInfo, start: float, end: float) -> list[tuple[float, float]]:
    """The (start, end) epoch seconds of each interval, in order."""
    if period == "TOTAL":
        return [(start, end)]
    if period in _MINUTES:
        inner = _clock_boundaries(_MINUTES[period], zone, start, end)
    else:
        inner = _midnights(period == "WEEK", zone, start, end)
    edges = [start, *inner, end]
    return list(pairwise(edges))


def _clock_boundaries(minutes: int, zone: ZoneInfo, start: float, end: float) -> list[float]:
    """Instants strictly inside (start, end) where the local minute is a multiple of ``minutes``."""
    found = []
    moment = ceil(start / _QUARTER) * _QUARTER
    if moment == start:
        moment += _QUARTER
    while moment < end:
        local = datetime.fromtimestamp(moment, UTC).astimezone(zone)
        if (local.hour * 60 + local.minute) % minutes == 0:
            found.append(moment)
        moment += _QUARTER
    return found


def _midnights(weekly: bool, zone: ZoneInfo, start: float, end: float) -> list[float]:
    """Local midnights (Mondays' only when ``weekly``) strictly inside (start, end)."""
    found: list[float] = []
    day: date = datetime.fromtimestamp(start, UTC).astimezone(zone).date()
    while True:
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0), tzinfo=zone).timestamp()
        if moment >= end:
            return found
        if moment > start and (not weekly or day.weekday() == 0):
            found.append(moment)
