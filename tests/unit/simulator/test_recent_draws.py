"""The simulated centre keeps its draws near the moment last drawn, so a centre left
running for weeks holds a day's draws, not weeks' (connectmetrics/simulator/recent.py)."""

from connectmetrics.simulator import SimulatedCentre, activity
from connectmetrics.simulator.activity import BUCKET
from connectmetrics.simulator.recent import KEEP_HOURS, Recent
from tests.simulator_support import Clock

DAY_BUCKETS = int(86_400 / BUCKET)


class Counted:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, queue: str, bucket: int) -> tuple[str, int]:
        self.calls += 1
        return queue, bucket


def test_a_week_of_polls_keeps_about_a_day_of_draws() -> None:
    draw = Counted()
    memo = Recent(draw, BUCKET)
    for bucket in range(7 * DAY_BUCKETS):
        for queue in ("sales", "support"):
            memo(queue, bucket)
            memo(queue, bucket)  # the next poll, same bucket: kept
    kept_hours = KEEP_HOURS + 1
    assert memo.entries() == 2 * kept_hours * 12
    assert draw.calls == 2 * 7 * DAY_BUCKETS


def test_a_dropped_draw_is_made_again_with_the_same_answer() -> None:
    draw = Counted()
    memo = Recent(draw, BUCKET)
    first = memo("sales", 0)
    memo("sales", 3 * DAY_BUCKETS)
    assert memo.entries() == 1
    assert memo("sales", 0) == first
    assert draw.calls == 3
    assert memo.entries() == 1


def test_the_centre_answers_the_same_after_its_old_draws_are_dropped() -> None:
    queue = SimulatedCentre(7, clock=Clock(0.0)).topology.queues[0]
    channel = queue.channels[0]
    morning = 20_000 * DAY_BUCKETS + 10 * 12  # 10:00 UTC, 4 October 2024
    before = [activity.arrivals(7, queue, channel, morning + n) for n in range(12)]
    activity.arrivals(7, queue, channel, morning + 10 * DAY_BUCKETS)
    assert [activity.arrivals(7, queue, channel, morning + n) for n in range(12)] == before
    assert any(before)
