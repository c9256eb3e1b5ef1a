"""The poll lock: at most one poll of a source runs at a time.

Redis: SET NX PX with a random token; release deletes the key only while it
still holds our token (a Lua compare-and-delete), so a poll that outlived its
lock never frees the next poll's lock. The expiry frees the lock of a worker
killed mid-poll (SIGKILL runs no cleanup) in time for the next interval.

A poll waiting for its turn of the quota keeps its lock (`extend`) until it
runs, so a source never queues a second call behind its first. A poll that is
fetching keeps its lock alive (`kept_alive`) however long the fetch takes
(botocore's retries of a throttled call, a slow answer): the lock's expiry is
for a dead poll, never a slow one.
"""

import logging
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import redis

from connectmetrics.sources.key import SourceKey
from dashboard.lib.shared_state import SharedPart


class PollLock(Protocol):
    def acquire(self, source: SourceKey, ttl: float) -> str | None:
        """A token when the lock was taken, None when another poll holds it."""
        ...

    def release(self, source: SourceKey, token: str) -> bool:
        """True when the lock was still ours and is now free."""
        ...

    def extend(self, source: SourceKey, token: str, ttl: float) -> bool:
        """Keep the lock `ttl` seconds from now; True when it was still ours."""
        ...


log = logging.getLogger(__name__)

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class RedisPollLock:
    prefix = "cm:lock:"

    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client
        self._release = client.register_script(_RELEASE)
        self._extend = client.register_script(_EXTEND)

    def acquire(self, source: SourceKey, ttl: float) -> str | None:
        token = secrets.token_hex(16)
        taken = self.client.set(
            f"{self.prefix}{source}", token, nx=True, px=max(1, int(ttl * 1000))
        )
        return token if taken else None

    def release(self, source: SourceKey, token: str) -> bool:
        return bool(self._release(keys=[f"{self.prefix}{source}"], args=[token]))

    def extend(self, source: SourceKey, token: str, ttl: float) -> bool:
        key = f"{self.prefix}{source}"
        return bool(self._extend(keys=[key], args=[token, max(1, int(ttl * 1000))]))


class LocalPollLock:
    """The same lock within one process (embedded mode)."""

    def __init__(self) -> None:
        self._held: dict[SourceKey, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, source: SourceKey, ttl: float) -> str | None:
        with self._lock:
            now = time.monotonic()
            held = self._held.get(source)
            if held is not None and held[1] > now:
                return None
            token = secrets.token_hex(16)
            self._held[source] = (token, now + ttl)
            return token

    def release(self, source: SourceKey, token: str) -> bool:
        with self._lock:
            if not self._holds(source, token):
                return False
            del self._held[source]
            return True

    def extend(self, source: SourceKey, token: str, ttl: float) -> bool:
        with self._lock:
            if not self._holds(source, token):
                return False
            self._held[source] = (token, time.monotonic() + ttl)
            return True

    def _holds(self, source: SourceKey, token: str) -> bool:
        held = self._held.get(source)
        return held is not None and held[0] == token and held[1] > time.monotonic()


@contextmanager
def kept_alive(lock: PollLock, source: SourceKey, token: str, ttl: float) -> Iterator[None]:
    """Hold the lock for as long as the block runs: it is extended to `ttl` every third of
    `ttl`, so it still lapses within `ttl` of this process dying."""
    done = threading.Event()

    def keep() -> None:
        while not done.wait(ttl / 3):
            try:
                if not lock.extend(source, token, ttl):
                    return  # lost (a stall longer than ttl): the newer poll's result wins
            except Exception:
                # Redis is away: the lock lapses as a dead poll's would.
                log.warning("cannot keep the poll lock of %s", source)
                return

    keeper = threading.Thread(target=keep, name=f"poll lock {source}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        keeper.join()


poll_lock: SharedPart[PollLock] = SharedPart(
    "poll locks", local=LocalPollLock, redis=lambda r: RedisPollLock(r.sync())
)
