"""Signatures already used, so a captured request cannot be sent again.

Kept where the rest of the shared state is: Redis in the full topology (every
web process sees every signature), this process in embedded mode. A signature
is kept for as long as its request time would still pass the skew check.

The same signature within SAME_MOMENT of its first use is not a replay but the
same request made twice at once: SDKs sign only Host and X-Amz-Date (whole
seconds) of a GET, and the body of a POST, so two threads or two Lambda
invocations asking the same thing with one key in the same second sign alike.
"""

import threading
import time
from typing import Any

import redis

from connectmetrics.awsapi.sigv4 import SeenSignatures
from dashboard.lib.shared_state import SharedPart

SAME_MOMENT = 1.0


class RedisSeenSignatures:
    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client

    def first_use(self, signature: str, seconds: float) -> bool:
        key = f"cm:aws:seen:{signature}"
        now = time.time()
        milliseconds = max(1, int(seconds * 1000))
        if self.client.set(key, repr(now), nx=True, px=milliseconds):
            return True
        first = self.client.get(key)
        return first is not None and now - float(first) < SAME_MOMENT

    def forget(self, signature: str) -> None:
        self.client.delete(f"cm:aws:seen:{signature}")


class LocalSeenSignatures:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[float, float]] = {}  # signature -> (first use, kept until)
        self._pruned_at = 0.0

    def first_use(self, signature: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            first, until = self._seen.get(signature, (0.0, 0.0))
            if until > now:
                return now - first < SAME_MOMENT
            if now - self._pruned_at > 1.0:
                self._seen = {s: kept for s, kept in self._seen.items() if kept[1] > now}
                self._pruned_at = now
            self._seen[signature] = (now, now + seconds)
            return True

    def forget(self, signature: str) -> None:
        with self._lock:
            self._seen.pop(signature, None)


seen_signatures: SharedPart[SeenSignatures] = SharedPart(
    "seen signatures", local=LocalSeenSignatures, redis=lambda r: RedisSeenSignatures(r.sync())
)
