"""The readings store: the latest of each queue filter, and what every socket is sent first.

Per queue filter it keeps
- the sequence counter (INCR; survives restarts of every process, and even a
  Redis that lost its data or a restarted embedded server: a new counter starts
  from the clock in milliseconds, above anything one poll a second counted to),
- the latest "snapshot" message text, serialised once by the poll that made it,
- the body of the last good poll, shown (marked stale) while polls fail,
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

import msgspec
from django.conf import settings
from django.utils import timezone

from connectmetrics import socket_messages
from connectmetrics.message_builder import (
    Body,
    TrendPoints,
    Trends,
    apply_trend_points,
    is_in_order,
    waiting_snapshot,
)
from dashboard.lib.shared_state import RedisConnections, SharedPart

_body = msgspec.json.Decoder(Body)
_encoder = msgspec.json.Encoder()


def _encode(body: Body) -> str:
    return _encoder.encode(body).decode()


def waiting_text(queue_filter_id: int, published_at: datetime | None = None) -> str:
    """The placeholder snapshot text for a queue filter not polled yet."""
    return socket_messages.encode(
        waiting_snapshot(
            queue_filter_id,
            published_at=published_at or timezone.now(),
            build=settings.BUILD_ID,
        )
    )


class ReadingsStore(Protocol):
    def latest_text(self, queue_filter_id: int) -> str:
        """The latest snapshot message text (a placeholder before the first poll)."""
        ...

    async def alatest_text(self, queue_filter_id: int) -> str: ...

    def next_seq(self, queue_filter_id: int) -> int: ...

    def kept_seq(self, queue_filter_id: int) -> int:
        """The seq of the snapshot kept (0 before the first)."""
        ...

    def last_good(self, queue_filter_id: int) -> Body | None: ...

    def trends(self, queue_filter_id: int) -> Trends: ...

    def add_trend_points(self, queue_filter_id: int, points: TrendPoints) -> Trends | None:
        """Apply a poll's points to the history (the trend rule) and return the history
        after; None, changing nothing, when they are older than its newest bucket."""
        ...

    def save(
        self, queue_filter_id: int, *, seq: int, snapshot_text: str, good: Body | None
    ) -> bool:
        """Keep this snapshot (and good body) unless a higher seq is already kept."""
        ...


class LocalReadingsStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Nothing survives a restart here, yet seq must still only go up for the
        # screens that reconnect: start from the clock (see the module's docstring).
        self._first_seq = int(time.time() * 1000)
        self._seq: dict[int, int] = {}
        self._snapshots: dict[int, tuple[int, str]] = {}
        self._good: dict[int, str] = {}
        self._trends: dict[int, Trends] = {}

    def latest_text(self, queue_filter_id: int) -> str:
        with self._lock:
            kept = self._snapshots.get(queue_filter_id)
        return kept[1] if kept else waiting_text(queue_filter_id)

    async def alatest_text(self, queue_filter_id: int) -> str:
        return self.latest_text(queue_filter_id)

    def next_seq(self, queue_filter_id: int) -> int:
        with self._lock:
            self._seq[queue_filter_id] = self._seq.get(queue_filter_id, self._first_seq - 1) + 1
            return self._seq[queue_filter_id]

    def kept_seq(self, queue_filter_id: int) -> int:
        with self._lock:
            kept = self._snapshots.get(queue_filter_id)
        return kept[0] if kept else 0

    def last_good(self, queue_filter_id: int) -> Body | None:
        with self._lock:
            good = self._good.get(queue_filter_id)
        return _body.decode(good) if good else None

    def trends(self, queue_filter_id: int) -> Trends:
        with self._lock:
            return json.loads(json.dumps(self._trends.get(queue_filter_id, {})))

    def add_trend_points(self, queue_filter_id: int, points: TrendPoints) -> Trends | None:
        with self._lock:
            trends = self._trends.setdefault(queue_filter_id, {})
            if not is_in_order(trends, points):
                return None
            return json.loads(json.dumps(apply_trend_points(trends, points)))

    def save(
        self, queue_filter_id: int, *, seq: int, snapshot_text: str, good: Body | None
    ) -> bool:
        with self._lock:
            kept = self._snapshots.get(queue_filter_id)
            if kept is not None and kept[0] >= seq:
                return False
            self._snapshots[queue_filter_id] = (seq, snapshot_text)
            if good is not None:
                self._good[queue_filter_id] = _encode(good)
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

# KEYS[1] the filter's hash; ARGV: seq, snapshot text, good body ('' to keep the old one).
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
    """Keys: cm:qf:<id>:seq (the counter) and the hash cm:qf:<id> (everything else)."""

    def __init__(self, connections: RedisConnections) -> None:
        self.connections = connections
        self.client = client = connections.sync()
        self._save = client.register_script(_SAVE_IF_NEWER)
        self._next_seq = client.register_script(_NEXT_SEQ)

    @staticmethod
    def _key(queue_filter_id: int) -> str:
        return f"cm:qf:{queue_filter_id}"

    def latest_text(self, queue_filter_id: int) -> str:
        text = self.client.hget(self._key(queue_filter_id), "snapshot")
        return text.decode() if text else waiting_text(queue_filter_id)

    async def alatest_text(self, queue_filter_id: int) -> str:
        client = self.connections.for_running_loop()
        text = await client.hget(self._key(queue_filter_id), "snapshot")
        return text.decode() if text else waiting_text(queue_filter_id)

    def next_seq(self, queue_filter_id: int) -> int:
        return int(self._next_seq(keys=[f"{self._key(queue_filter_id)}:seq"]))

    def kept_seq(self, queue_filter_id: int) -> int:
        return int(self.client.hget(self._key(queue_filter_id), "snapshot_seq") or 0)

    def last_good(self, queue_filter_id: int) -> Body | None:
        good = self.client.hget(self._key(queue_filter_id), "good")
        return _body.decode(good) if good else None

    def trends(self, queue_filter_id: int) -> Trends:
        raw = self.client.hget(self._key(queue_filter_id), "trends")
        return json.loads(raw) if raw else {}

    def add_trend_points(self, queue_filter_id: int, points: TrendPoints) -> Trends | None:
        # Read-modify-write is safe here: only the poll holding the filter's
        # poll lock writes its trends.
        trends = self.trends(queue_filter_id)
        if not is_in_order(trends, points):
            return None
        apply_trend_points(trends, points)
        self.client.hset(self._key(queue_filter_id), "trends", json.dumps(trends))
        return trends

    def save(
        self, queue_filter_id: int, *, seq: int, snapshot_text: str, good: Body | None
    ) -> bool:
        saved = self._save(
            keys=[self._key(queue_filter_id)],
            args=[seq, snapshot_text, _encode(good) if good is not None else ""],
        )
        return bool(saved)


readings_store: SharedPart[ReadingsStore] = SharedPart(
    "readings store", local=LocalReadingsStore, redis=RedisReadingsStore
)
