"""Threshold levels: how bad a value is, computed once on the server."""

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


class Direction(StrEnum):
    HIGHER_IS_WORSE = "higher_is_worse"
    LOWER_IS_WORSE = "lower_is_worse"


@dataclass(frozen=True)
class Band:
    warning: float
    critical: float
    direction: Direction

    def level(self, value: float | None) -> Level:
        # Unknown is not zero: a value AWS could not calculate breaches nothing.
        if value is None:
            return Level.OK
        if self.direction is Direction.HIGHER_IS_WORSE:
            if value >= self.critical:
                return Level.CRITICAL
            return Level.WARNING if value >= self.warning else Level.OK
        if value <= self.critical:
            return Level.CRITICAL
        return Level.WARNING if value <= self.warning else Level.OK


def band_error(warning: float, critical: float, direction: Direction) -> str | None:
    """Why a warning/critical pair is unusable, or None when it is fine."""
    if direction is Direction.HIGHER_IS_WORSE and not warning < critical:
        return "When higher is worse, the warning value must be below the critical value."
    if direction is Direction.LOWER_IS_WORSE and not warning > critical:
        return "When lower is worse, the warning value must be above the critical value."
    return None
