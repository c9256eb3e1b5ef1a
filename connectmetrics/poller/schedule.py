"""When a source (of any kind) is due for a poll.

Time is cut into slots of the instance's poll interval, one poll per source
per slot. The dispatcher ticks every second and claims the current slot of
each source of every kind (connectmetrics/sources/registry.py); only the claim
that wins enqueues a poll. In Redis the claim is a SET NX EX on a key naming
the source, the interval and the slot, so a second
beat started by mistake finds every slot already taken and adds no polls; the
clock is Redis's own (TIME), so two beats on different hosts agree on the slot.

Each source's slots are shifted by a fixed fraction of its interval (from its
ID), so many sources with the same interval spread over the interval instead
of all spending the account's quota in the same second.

The interval is read from the database on every tick: an admin's change takes
effect on the next tick, with nothing restarted.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from connectmetrics.sources.key import SourceKey
from connectmetrics.sources.registry import kinds
from dashboard.lib.shared_state import SharedPart

_GOLDEN = 0.6180339887498949


def slot_offset(source_id: int, interval: int) -> float:
    return (source_id * _GOLDEN) % 1.0 * interval


def slot_of(source_id: int, interval: int, now: float) -> int:
    return int((now + slot_offset(source_id, interval)) // interval)


@dataclass(frozen=True)
class DuePoll:
    source: SourceKey
    interval: int
    # Seconds left in the slot it was claimed for.
    ends_in: float


class SlotClaims(Protocol):
    def now(self) -> float:
        """The clock slots are measured on, in epoch seconds."""
        ...

    def claim(self, wanted: list[tuple[SourceKey, int, int]]) -> list[bool]:
        """For each (source, interval, slot): True if this caller won it."""
        ...


class RedisSlotClaims:
    def __init__(self, client: "redis.Redis[Any]", prefix: str = "cm:due:") -> None:
        self.client = client
        self.prefix = prefix

    def now(self) -> float:
        seconds, micros = self.client.time()
        return seconds + micros / 1_000_000

    def claim(self, wanted: list[tuple[SourceKey, int, int]]) -> list[bool]:
        pipe = self.client.pipeline(transaction=False)
        for source, interval, slot in wanted:
            pipe.set(f"{self.prefix}{source}:{interval}:{slot}", 1, nx=True, ex=2 * interval + 1)
        return [bool(won) for won in pipe.execute()]


class LocalSlotClaims:
    """Claims within one process (embedded mode)."""

    def __init__(self) -> None:
        self._claimed: dict[SourceKey, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time()

    def claim(self, wanted: list[tuple[SourceKey, int, int]]) -> list[bool]:
        won = []
        with self._lock:
            for source, interval, slot in wanted:
                fresh = self._claimed.get(source) != (interval, slot)
                if fresh:
                    self._claimed[source] = (interval, slot)
                won.append(fresh)
        return won


slot_claims: SharedPart[SlotClaims] = SharedPart(
    "slot claims", local=LocalSlotClaims, redis=lambda r: RedisSlotClaims(r.sync())
)
# The slots whose call a scheduled poll has made (connectmetrics/poller/polling.py): one call of
# a source per slot, whichever slot's poll makes it.
call_claims: SharedPart[SlotClaims] = SharedPart(
    "call claims",
    local=LocalSlotClaims,
    redis=lambda r: RedisSlotClaims(r.sync(), prefix="cm:called:"),
)


def pollable_sources() -> list[tuple[SourceKey, int]]:
    """(source, poll interval) of every enabled source, of every kind, of an enabled instance."""
    return [
        (SourceKey(kind.name, source_id), max(1, interval))
        for kind in kinds()
        for source_id, interval in kind.pollable()
    ]


def claim_due_polls(claims: SlotClaims, now: float | None = None) -> list[DuePoll]:
    """The polls due now that this caller won; each must be started once."""
    sources = pollable_sources()
    if not sources:
        return []
    moment = claims.now() if now is None else now
    wanted = [(key, interval, slot_of(key.id, interval, moment)) for key, interval in sources]
    won = claims.claim(wanted)
    return [
        DuePoll(key, interval, (slot + 1) * interval - slot_offset(key.id, interval) - moment)
        for (key, interval, slot), ok in zip(wanted, won, strict=True)
        if ok
    ]
