"""Signatures already used, so a captured request cannot be sent again.

Kept where the rest of the shared state is: Redis in the full topology (every
web process sees every signature), this process in embedded mode. A signature
is kept for as long as its request time would still pass the skew check.
"""

import threading
import time
from typing import Any

import redis
from django.conf import settings

from connectmetrics.awsapi.sigv4 import SeenSignatures


class RedisSeenSignatures:
    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client

    def first_use(self, signature: str, seconds: float) -> bool:
        milliseconds = max(1, int(seconds * 1000))
        return bool(self.client.set(f"cm:aws:seen:{signature}", b"1", nx=True, px=milliseconds))

    def forget(self, signature: str) -> None:
        self.client.delete(f"cm:aws:seen:{signature}")


class LocalSeenSignatures:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}
        self._pruned_at = 0.0

    def first_use(self, signature: str, seconds: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._until.get(signature, 0.0) > now:
                return False
            if now - self._pruned_at > 1.0:
                self._until = {s: until for s, until in self._until.items() if until > now}
                self._pruned_at = now
            self._until[signature] = now + seconds
            return True

    def forget(self, signature: str) -> None:
        with self._lock:
            self._until.pop(signature, None)


_local = LocalSeenSignatures()


def seen_signatures() -> SeenSignatures:
    """The store for this process's mode (settings.EMBEDDED)."""
    if settings.EMBEDDED:
        return _local
    from connectmetrics.redis_client import redis_client

    return RedisSeenSignatures(redis_client())
