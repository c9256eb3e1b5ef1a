"""Memoised draws of the simulated centre, kept only near the moment last drawn.

A draw is a pure function of its arguments, one of which places it in data time
(a queue's five-minute bucket, an agent's half-hour block or day). Polls ask for
the present and for today since the centre's local midnight, so successive polls
reuse the draws of the last day. A cache bounded by entry count would instead keep
every draw until it holds its bound, which a centre left running for weeks (the
demo on a wall) reaches only after days, its memory rising all that time. Here the
draws are kept per hour of data time, and an hour is dropped once it is more than
``KEEP_HOURS`` away from the hour of the latest draw made: as data time moves on,
the memory is a day's worth from the first day on. A draw asked again after it was
dropped is made again, with the same answer; one far from the others (a test's
other moment, an old range) moves the kept hours to it.
"""

import threading
from collections.abc import Callable, Hashable
from math import floor
from typing import Generic, ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")

# Today since local midnight reaches 25 hours back on the day the clocks go back,
# and the draws look up to an hour further (waits, callbacks, the block before).
KEEP_HOURS = 27


class Recent(Generic[P, R]):
    """``draw``, memoised for the draws within ``KEEP_HOURS`` of the latest one made.

    The draw takes positional arguments only, the last of which places it in data
    time: it counts ``unit`` seconds since the epoch (a bucket, a block, a day).
    A draw that is kept is one dict lookup away, as with ``functools.lru_cache``.
    """

    def __init__(self, draw: Callable[P, R], unit: float) -> None:
        self._draw: Callable[..., R] = draw
        self._unit = unit
        self._kept: _Kept[R] = _Kept(self._miss)
        self._hours: dict[int, list[Hashable]] = {}
        self._latest: int | None = None
        self._lock = threading.Lock()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs:
            raise TypeError(f"{self._draw.__name__} takes positional arguments only")
        return self._kept[args]

    def _miss(self, args: tuple[object, ...]) -> R:
        value = self._draw(*args)
        hour = floor(cast(int, args[-1]) * self._unit / 3600.0)
        with self._lock:
            if hour != self._latest:
                self._latest = hour
                for far in [h for h in self._hours if abs(h - hour) > KEEP_HOURS]:
                    for key in self._hours.pop(far):
                        self._kept.pop(key, None)
            self._kept[args] = value
            self._hours.setdefault(hour, []).append(args)
        return value

    def entries(self) -> int:
        """How many draws are kept."""
        return len(self._kept)


class _Kept(dict[Hashable, R]):
    """The kept draws by their arguments; a missing one is drawn (and kept if recent)."""

    def __init__(self, miss: Callable[[tuple[object, ...]], R]) -> None:
        super().__init__()
        self._miss = miss

    def __missing__(self, args: tuple[object, ...]) -> R:
        return self._miss(args)


def recent(unit: float) -> Callable[[Callable[P, R]], Recent[P, R]]:
    """Decorate a draw with ``Recent``, its last argument counting ``unit`` seconds."""

    def decorate(draw: Callable[P, R]) -> Recent[P, R]:
        return Recent(draw, unit)

    return decorate
