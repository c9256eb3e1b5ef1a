"""Today's figures from counts: one queue's, and the total of several.

Percentages and averages never add up, so a total is never an average of the
rows' figures: it is recomputed from their summed counts. The service level of
a total is the contacts answered within each queue's own threshold over the
contacts queued, summed over the queues; the abandonment rate the abandoned over
the queued; average handle and answer times are total seconds over the contacts
handled and answered (averages weighted by their counts); the longest wait is
the longest of any queue. A figure with nothing to divide by is None, never 0.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# A service level this many points or fewer below its target is at risk, not missed.
AT_RISK_POINTS = 5.0

TargetLevel = Literal["met", "at_risk", "missed"]


@dataclass(frozen=True)
class Counts:
    """What GetMetricDataV2 counted for one queue (or several) over a range."""

    queued: int = 0
    handled: int = 0
    abandoned: int = 0
    answered: int = 0
    answered_in_threshold: int = 0  # within the queue's own threshold
    handle_seconds: float = 0.0  # AVG_HANDLE_TIME x handled
    answer_seconds: float = 0.0  # AVG_QUEUE_ANSWER_TIME x answered
    abandon_seconds: float = 0.0  # AVG_ABANDON_TIME x abandoned
    max_queued_time: float | None = None

    def __add__(self, other: "Counts") -> "Counts":
        longest = [t for t in (self.max_queued_time, other.max_queued_time) if t is not None]
        return Counts(
            queued=self.queued + other.queued,
            handled=self.handled + other.handled,
            abandoned=self.abandoned + other.abandoned,
            answered=self.answered + other.answered,
            answered_in_threshold=self.answered_in_threshold + other.answered_in_threshold,
            handle_seconds=self.handle_seconds + other.handle_seconds,
            answer_seconds=self.answer_seconds + other.answer_seconds,
            abandon_seconds=self.abandon_seconds + other.abandon_seconds,
            max_queued_time=max(longest) if longest else None,
        )


def total(parts: Iterable[Counts]) -> Counts:
    result = Counts()
    for part in parts:
        result = result + part
    return result


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return scale * part / whole if whole else None


def service_level(counts: Counts) -> float | None:
    """Percent of the contacts queued that were answered within their threshold."""
    return _ratio(counts.answered_in_threshold, counts.queued, 100.0)


def abandonment_rate(counts: Counts) -> float | None:
    """Percent of the contacts queued that were abandoned."""
    return _ratio(counts.abandoned, counts.queued, 100.0)


def avg_handle_time(counts: Counts) -> float | None:
    return _ratio(counts.handle_seconds, counts.handled)


def avg_answer_time(counts: Counts) -> float | None:
    return _ratio(counts.answer_seconds, counts.answered)


def avg_abandon_time(counts: Counts) -> float | None:
    return _ratio(counts.abandon_seconds, counts.abandoned)


def target_level(level: float | None, target: float) -> TargetLevel | None:
    """Met, at risk (a little below the target) or missed; None with no contacts."""
    if level is None:
        return None
    if level >= target:
        return "met"
    if level >= target - AT_RISK_POINTS:
        return "at_risk"
    return "missed"
