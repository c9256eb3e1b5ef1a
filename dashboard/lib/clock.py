"""The product's clock: the moment of the data, chosen once from settings.

Data time (the simulated centre's moment, a poll's fetched and published stamps,
trend buckets, alerts' "since", the page's clock) reads this clock; scheduling,
the quota governor, locks and seq numbers stay on real time.

At `WALLBOARD_CLOCK_SPEED` 1 (the default) the clock is exactly `time.time()`.
Faster, for endurance runs (bench/endurance.py), it runs from a fixed start:

    now = WALLBOARD_CLOCK_START + (time.time() - WALLBOARD_CLOCK_EPOCH) * speed

`WALLBOARD_CLOCK_EPOCH` is the real moment (epoch seconds) at which the clock read
`WALLBOARD_CLOCK_START` (an ISO 8601 moment with its offset; default: the epoch
itself). Every process given the same three settings (web, Celery worker, beat,
embedded mode) reads the same time.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Clock:
    """Simulated epoch seconds `start` at real epoch seconds `real_epoch`, going `speed`
    times as fast as real time."""

    speed: float = 1.0
    start: float = 0.0
    real_epoch: float = 0.0

    def now(self) -> float:
        """Epoch seconds on this clock."""
        if self.speed == 1.0 and self.start == self.real_epoch:
            return time.time()
        return self.start + (time.time() - self.real_epoch) * self.speed

    def moment(self) -> datetime:
        """Now on this clock, an aware datetime in UTC."""
        return datetime.fromtimestamp(self.now(), UTC)


REAL_TIME = Clock()


def clock_of(speed: object, start: object, real_epoch: object) -> Clock:
    """The clock the three settings describe; ImproperlyConfigured naming the setting
    whose value cannot be used."""
    rate = _number("WALLBOARD_CLOCK_SPEED", speed, default=1.0) or 0.0
    if not rate > 0:
        raise ImproperlyConfigured(f"WALLBOARD_CLOCK_SPEED must be above 0; got {speed!r}")
    epoch = _number("WALLBOARD_CLOCK_EPOCH", real_epoch, default=None)
    if epoch is None:
        if rate != 1.0:
            raise ImproperlyConfigured(
                "WALLBOARD_CLOCK_EPOCH must be set (epoch seconds) when WALLBOARD_CLOCK_SPEED "
                f"is not 1, so every process reads the same time; speed is {rate}"
            )
        if start not in (None, ""):
            raise ImproperlyConfigured(
                "WALLBOARD_CLOCK_START needs WALLBOARD_CLOCK_EPOCH (the real moment it names)"
            )
        return REAL_TIME
    if epoch < 0:
        raise ImproperlyConfigured(f"WALLBOARD_CLOCK_EPOCH must be at least 0; got {epoch}")
    return Clock(speed=rate, start=_start(start, epoch), real_epoch=epoch)


def _number(name: str, raw: object, *, default: float | None) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return default
    if isinstance(raw, bool):
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}") from None
    else:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name} must be a finite number; got {raw!r}")
    return value


def _start(raw: object, epoch: float) -> float:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return epoch
    if not isinstance(raw, str):
        raise ImproperlyConfigured(f"WALLBOARD_CLOCK_START must be an ISO 8601 moment; got {raw!r}")
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"WALLBOARD_CLOCK_START must be an ISO 8601 moment, e.g. 2026-03-28T20:00:00+00:00; "
            f"got {raw!r}"
        ) from None
    if moment.tzinfo is None:
        raise ImproperlyConfigured(
            f"WALLBOARD_CLOCK_START must give its UTC offset (e.g. +00:00); got {raw!r}"
        )
    return moment.timestamp()


_chosen: tuple[tuple[object, object, object], Clock] | None = None


def product_clock() -> Clock:
    """The clock settings choose (read again whenever the settings change, as in tests);
    real time where Django is not set up (the simulated centre used on its own)."""
    global _chosen
    if not settings.configured:
        return REAL_TIME
    values = (
        getattr(settings, "WALLBOARD_CLOCK_SPEED", None),
        getattr(settings, "WALLBOARD_CLOCK_START", None),
        getattr(settings, "WALLBOARD_CLOCK_EPOCH", None),
    )
    if _chosen is None or _chosen[0] != values:
        _chosen = (values, clock_of(*values))
    return _chosen[1]


def now() -> float:
    """Epoch seconds on the product's clock (time.time() at speed 1)."""
    return product_clock().now()


def moment() -> datetime:
    """Now on the product's clock, an aware datetime in UTC (what timezone.now() gives
    at speed 1)."""
    return product_clock().moment()


def speed() -> float:
    """How many seconds of data time pass in one real second."""
    return product_clock().speed
