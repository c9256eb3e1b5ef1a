"""This web process's fan-out as /metrics shows it: open sockets and fan-out latency.

Both belong to one process (each web process has its own sockets and its own
subscription to each group), so Prometheus scrapes every web process.

Fan-out latency is the time from a poll's `published_at` (the publisher's
clock) to the moment this process has handed that update to every socket
that shows it (the fan-out writes to each socket eagerly, so that is when the
bytes are in the sockets' send buffers). dashboard/fanout.py calls
`observe_dispatch` after each dispatch.
"""

import re
import threading
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dashboard import push
from dashboard.lib import clock

LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# A key never occurs inside a JSON string unescaped, so the first match is the
# message's own published_at, near the start of the text.
_PUBLISHED_AT = re.compile(r'"published_at":"([^"]+)"')
_SEARCH_CHARS = 2048


@dataclass(frozen=True)
class HistogramState:
    cumulative: list[tuple[float, int]]  # (upper bound, count of values <= it); inf last
    total: float
    count: int


class Histogram:
    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self._counts = [0] * (len(bounds) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._counts[bisect_left(self.bounds, value)] += 1
            self._sum += value

    def state(self) -> HistogramState:
        with self._lock:
            counts, total = list(self._counts), self._sum
        running, cumulative = 0, []
        for bound, n in zip((*self.bounds, float("inf")), counts, strict=True):
            running += n
            cumulative.append((bound, running))
        return HistogramState(cumulative, total, running)


fanout_latency = Histogram(LATENCY_BUCKETS)


def observe_dispatch(envelope: Mapping[str, Any], now: float | None = None) -> None:
    """After the fan-out handed a channel-layer message to this process's sockets."""
    if envelope.get("type") != push.SNAPSHOT_UPDATE:
        return
    found = _PUBLISHED_AT.search(str(envelope.get("text", ""))[:_SEARCH_CHARS])
    if found is None:
        return
    try:
        published = datetime.fromisoformat(found.group(1).replace("Z", "+00:00"))
    except ValueError:
        return
    # published_at is on the data's clock (dashboard/lib/clock.py): its seconds, in real ones.
    delivered = clock.now() if now is None else now
    # Clocks of two hosts may disagree a little: a negative latency is none.
    fanout_latency.observe(max(0.0, delivered - published.timestamp()) / clock.speed())
