"""The readings store: the latest of each source, and what every socket is sent first.

Per source (of any kind: connectmetrics/sources) it keeps
- the sequence counter (INCR; survives restarts of every process, and even a
  Redis that lost its data or a restarted embedded server: a new counter starts
  from the clock in milliseconds, above anything one poll a second counted to),
- the latest "snapshot" message text, serialised once by the poll that made it
  (before the first poll, the kind's placeholder),
- the body of the last good poll as its kind encoded it, shown (marked stale)
  while polls fail,
- the trend history: TREND_METRICS per row, 30-second buckets, 60 minutes.

`RedisReadingsStore` shares it between the worker that polls and every web
process; `LocalReadingsStore` keeps it in the one process of embedded mode.
`readings_store()` is the one settings.SHARED_STATE chooses (dashboard/lib/shared_state.py).
"""

import json
import threading
import time
from datetime import datetime
from typing import Protocol

from django.conf import settings

from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.kind import TrendPoints, Trends
from connectmetrics.sources.registry import kind_of
from connectmetrics.sources.trends import apply_trend_points, is_in_order
from dashboard.lib import clock
from dashboard.lib.shared_state import RedisConnections, SharedPart


def waiting_text(source: SourceKey, published_at: datetime | None = None) -> str:
    """The placeholder snapshot text for a source not polled yet."""
    return kind_of(source).waiting_text(
        source.id, published_at or clock.moment(), settings.BUILD_ID
    )


class ReadingsStore(Protocol):
    def latest_text(self, source: SourceKey) -> str:
        """The latest snapshot message text (a placeholder before the first poll)."""
        ...

    async def alatest_text(self, source: SourceKey) -> str: ...

    def next_seq(self, source: SourceKey) -> int: ...

    def kept_seq(self, source: SourceKey) -> int:
        """The seq of the snapshot kept (0 before the first)."""
        ...

    def last_good(self, source: SourceKey) -> str | None:
        """The body of the last good poll, as its kind encoded it."""
        ...

    def trends(self, source: SourceKey) -> Trends: ...

    def add_trend_points(self, source: SourceKey, points: TrendPoints) -> Trends | None:
        """Apply a poll's points to the history (the trend rule) and return the history
        after; None, changing nothing, when they are older than its newest bucket."""
        ...

    def save(self, source: SourceKey, *, seq: int, snapshot_text: str, good: str | None) -> bool:
        """Keep this snapshot (and good body) unless a higher seq is already kept."""
        ...


class LocalReadingsStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Nothing survives a restart here, yet seq must still only go up for the
        # screens that reconnect: start from the clock (see the module's docstring).
        self._first_seq = int(time.time() * 1000)
        self._seq: dict[SourceKey, int] = {}
        self._snapshots: dict[SourceKey, tuple[int, str]] = {}
        self._good: dict[SourceKey, str] = {}
        self._trends: dict[SourceKey, Trends] = {}

    def latest_text(self, source: SourceKey) -> str:
        with self._lock:
            kept = self._snapshots.get(source)
        return kept[1] if kept else waiting_text(source)

    async def alatest_text(self, source: SourceKey) -> str:
        return self.latest_text(source)

    def next_seq(self, source: SourceKey) -> int:
        with self._lock:
            self._seq[source] = self._seq.get(source, self._first_seq - 1) + 1
            return self._seq[source]

    def kept_seq(self, source: SourceKey) -> int:
        with self._lock:
            kept = self._snapshots.get(source)
        return kept[0] if kept else 0

    def last_good(self, source: SourceKey) -> str | None:
        with self._lock:
            return self._good.get(source)

    def trends(self, source: SourceKey) -> Trends:
        with self._lock:
            return json.loads(json.dumps(self._trends.get(source, {})))

    def add_trend_points(self, source: SourceKey, points: TrendPoints) -> Trends | None:
        with self._lock:
            trends = self._trends.setdefault(source, {})
            if not is_in_order(trends, points):
                return None
            return json.loads(json.dumps(apply_trend_points(trends, points)))

    def save(self, source: SourceKey, *, seq: int, snapshot_text: str, good: str | None) -> bool:
        with self._lock:
            kept = self._snapshots.get(source)
            if kept is not None and kept[0] >= seq:
                return False
            self._snapshots[source] = (seq, snapshot_text)
            if good is not None:
                self._good[source] = good
            return True


# KEYS[1] the counter. A counter Redis has lost (a restart without persistence)
# starts again from Redis's clock in milliseconds, above any seq it handed out.
_NEXT_SEQ = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local clock = redis.call('TIME')
  redis.call('SET', KEYS[1], tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
end
return redis.call('INCR', KEYS[1])
"""

# KEYS[1] the source's hash; ARGV: seq, snapshot text, good body ('' to keep the old one).
_SAVE_IF_NEWER = """
local kept = tonumber(redis.call('HGET', KEYS[1], 'snapshot_seq') or '0')
if kept >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'snapshot_seq', ARGV[1], 'snapshot', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'good', ARGV[3])
end
return 1
"""


class RedisReadingsStore:
    """Keys: cm:src:<kind>:<id>:seq (the counter) and the hash cm:src:<kind>:<id>
    (everything else)."""

    def __init__(self, connections: RedisConnections) -> None:
        self.connections = connections
        self.client = client = connections.sync()
        self._save = client.register_script(_SAVE_IF_NEWER)
        self._next_seq = client.register_script(_NEXT_SEQ)

    @staticmethod
    def _key(source: SourceKey) -> str:
        return f"cm:src:{source}"

    def latest_text(self, source: SourceKey) -> str:
        text = self.client.hget(self._key(source), "snapshot")
        return text.decode() if text else waiting_text(source)

    async def alatest_text(self, source: SourceKey) -> str:
        client = self.connections.for_running_loop()
        text = await client.hget(self._key(source), "snapshot")
        return text.decode() if text else waiting_text(source)

    def next_seq(self, source: SourceKey) -> int:
        return int(self._next_seq(keys=[f"{self._key(source)}:seq"]))

    def kept_seq(self, source: SourceKey) -> int:
        return int(self.client.hget(self._key(source), "snapshot_seq") or 0)

    def last_good(self, source: SourceKey) -> str | None:
        good = self.client.hget(self._key(source), "good")
        return good.decode() if good else None

    def trends(self, source: SourceKey) -> Trends:
        raw = self.client.hget(self._key(source), "trends")
        return json.loads(raw) if raw else {}

    def add_trend_points(self, source: SourceKey, points: TrendPoints) -> Trends | None:
        # Read-modify-write is safe here: only the poll holding the source's
        # poll lock writes its trends.
        trends = self.trends(source)
        if not is_in_order(trends, points):
            return None
        apply_trend_points(trends, points)
        self.client.hset(self._key(source), "trends", json.dumps(trends))
        return trends

    def save(self, source: SourceKey, *, seq: int, snapshot_text: str, good: str | None) -> bool:
        saved = self._save(
            keys=[self._key(source)], args=[seq, snapshot_text, good if good is not None else ""]
        )
        return bool(saved)


readings_store: SharedPart[ReadingsStore] = SharedPart(
    "readings store", local=LocalReadingsStore, redis=RedisReadingsStore
)
