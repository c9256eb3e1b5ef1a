"""Who may read what, remembered by each process until an admin changes it.

Every API request asks the database the same few questions: which credential is
this (an API token by its hash, an access key by its ID), which configured
instance does the path name, may that credential read it. Their answers change
only when someone changes a credential or an instance, yet asking costs more
than the rest of a cached answer: under ASGI each request has a database
connection of its own (settings: no persistent connections), and on SQLite the
first query of a connection reads the whole schema (docs/performance.md).

So each process remembers the answers, tagged with the *generation* they were
read at, and uses them only while the generation is the same. Any change of a
credential or an instance bumps it: saves and deletes (signals, see
connectmetrics.apps), changes of which instances a credential may read, and
bulk updates (AccessQuerySet). The bump is immediate in this process, and
after the change is committed in the shared state (Redis in the full topology,
which other processes read at most every GENERATION_TTL seconds). Nothing is
used for longer than MAX_AGE either, whatever the generation says.
"""

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import redis
from django.db import models, transaction

from dashboard.lib.shared_state import SharedPart

log = logging.getLogger(__name__)

T = TypeVar("T")

GENERATION_KEY = "cm:access:generation"
# How long a process trusts the shared generation it last read.
GENERATION_TTL = 0.1
# How long anything is remembered at all.
MAX_AGE = 5.0
_SIZE = 4096

_lock = threading.Lock()
_memo: "OrderedDict[Hashable, tuple[tuple[int, int], float, Any]]" = OrderedDict()
_local_generation = 0
_shared: tuple[int, float] = (0, 0.0)  # the shared generation, and when it was read


class LocalGeneration:
    """Embedded mode: one process, whose own generation says it all."""

    def read(self) -> int:
        return 0

    def bump(self) -> None:
        return None


class RedisGeneration:
    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client

    def read(self) -> int:
        return int(self.client.get(GENERATION_KEY) or 0)

    def bump(self) -> None:
        self.client.incr(GENERATION_KEY)


access_generation: SharedPart[LocalGeneration | RedisGeneration] = SharedPart(
    "access generation", local=LocalGeneration, redis=lambda r: RedisGeneration(r.sync())
)


def _shared_generation() -> int | None:
    """The generation every process shares; None when Redis does not answer."""
    global _shared
    now = time.monotonic()
    generation, read_at = _shared
    if now - read_at < GENERATION_TTL:
        return generation
    try:
        generation = access_generation().read()
    except redis.RedisError:
        return None
    _shared = (generation, now)
    return generation


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """What `load` gives, from memory while nothing it depends on has changed."""
    shared = _shared_generation()
    if shared is None:
        return load()
    generation = (_local_generation, shared)
    now = time.monotonic()
    with _lock:
        kept = _memo.get(key)
        if kept is not None and kept[0] == generation and now - kept[1] < MAX_AGE:
            _memo.move_to_end(key)
            value: T = kept[2]
            return value
    value = load()
    with _lock:
        _memo[key] = (generation, now, value)
        _memo.move_to_end(key)
        while len(_memo) > _SIZE:
            _memo.popitem(last=False)
    return value


def _bump() -> None:
    global _local_generation, _shared
    with _lock:
        _local_generation += 1
    try:
        access_generation().bump()
        _shared = (0, 0.0)
    except redis.RedisError:
        log.warning("Could not tell other processes that access changed", exc_info=True)


def changed(**_: Any) -> None:
    """A credential or an instance changed: forget, here now and everywhere once committed."""
    global _local_generation
    with _lock:
        _local_generation += 1
    transaction.on_commit(_bump)


class AccessQuerySet(models.QuerySet[Any]):
    """Bulk updates and deletes say that access may have changed (unless only `quiet` fields,
    which no access decision reads, were updated)."""

    quiet: frozenset[str] = frozenset()

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if not set(kwargs) <= self.quiet:
            changed()
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        deleted = super().delete()
        changed()
        return deleted
