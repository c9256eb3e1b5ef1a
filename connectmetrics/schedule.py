"""When a queue filter is due for a poll.

Time is cut into slots of the instance's poll interval, one poll per filter
per slot. The dispatcher ticks every second and claims the current slot of
each filter; only the claim that wins enqueues a poll. In Redis the claim is a
SET NX EX on a key naming the filter, the interval and the slot, so a second
beat started by mistake finds every slot already taken and adds no polls; the
clock is Redis's own (TIME), so two beats on different hosts agree on the slot.

Each filter's slots are shifted by a fixed fraction of its interval (from its
ID), so many filters with the same interval spread over the interval instead
of all spending the account's quota in the same second.

The interval is read from the database on every tick: an admin's change takes
effect on the next tick, with nothing restarted.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from connectmetrics.models import QueueFilter
from dashboard.lib.shared_state import SharedPart

_GOLDEN = 0.6180339887498949


def slot_offset(queue_filter_id: int, interval: int) -> float:
    return (queue_filter_id * _GOLDEN) % 1.0 * interval


def slot_of(queue_filter_id: int, interval: int, now: float) -> int:
    return int((now + slot_offset(queue_filter_id, interval)) // interval)


@dataclass(frozen=True)
class DuePoll:
    queue_filter_id: int
    interval: int
    # Seconds left in the slot it was claimed for: a poll that has not started by then
    # must not run, or it would share the next slot with that slot's own poll.
    ends_in: float


class SlotClaims(Protocol):
    def now(self) -> float:
        """The clock slots are measured on, in epoch seconds."""
        ...

    def claim(self, wanted: list[tuple[int, int, int]]) -> list[bool]:
        """For each (queue filter ID, interval, slot): True if this caller won it."""
        ...


class RedisSlotClaims:
    prefix = "cm:due:qf:"

    def __init__(self, client: "redis.Redis[Any]") -> None:
        self.client = client

    def now(self) -> float:
        seconds, micros = self.client.time()
        return seconds + micros / 1_000_000

    def claim(self, wanted: list[tuple[int, int, int]]) -> list[bool]:
        pipe = self.client.pipeline(transaction=False)
        for queue_filter_id, interval, slot in wanted:
            pipe.set(
                f"{self.prefix}{queue_filter_id}:{interval}:{slot}", 1, nx=True, ex=2 * interval + 1
            )
        return [bool(won) for won in pipe.execute()]


class LocalSlotClaims:
    """Claims within one process (embedded mode)."""

    def __init__(self) -> None:
        self._claimed: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time()

    def claim(self, wanted: list[tuple[int, int, int]]) -> list[bool]:
        won = []
        with self._lock:
            for queue_filter_id, interval, slot in wanted:
                fresh = self._claimed.get(queue_filter_id) != (interval, slot)
                if fresh:
                    self._claimed[queue_filter_id] = (interval, slot)
                won.append(fresh)
        return won


slot_claims: SharedPart[SlotClaims] = SharedPart(
    "slot claims", local=LocalSlotClaims, redis=lambda r: RedisSlotClaims(r.sync())
)


def pollable_filters() -> list[tuple[int, int]]:
    """(queue filter ID, poll interval) of every enabled filter of an enabled instance."""
    rows = QueueFilter.objects.filter(enabled=True, instance__enabled=True).values_list(
        "id", "instance__poll_interval"
    )
    return [(int(i), max(1, int(interval))) for i, interval in rows]


def claim_due_polls(claims: SlotClaims, now: float | None = None) -> list[DuePoll]:
    """The polls due now that this caller won; each must be started once."""
    filters = pollable_filters()
    if not filters:
        return []
    moment = claims.now() if now is None else now
    wanted = [(i, interval, slot_of(i, interval, moment)) for i, interval in filters]
    won = claims.claim(wanted)
    return [
        DuePoll(i, interval, (slot + 1) * interval - slot_offset(i, interval) - moment)
        for (i, interval, slot), ok in zip(wanted, won, strict=True)
        if ok
    ]
