"""Today's totals are recomputed from counts, never averaged: for any queues' counts
(hypothesis), the total's service level is the answered-within-threshold over the
queued, its rates and averages weighted by their counts, and a split of the queues
totals to the same figures as the whole."""

import math

from hypothesis import given
from hypothesis import strategies as st

from connectmetrics.today import totals
from connectmetrics.today.totals import Counts


@st.composite
def queue_counts(draw: st.DrawFn) -> Counts:
    queued = draw(st.integers(0, 5000))
    abandoned = draw(st.integers(0, queued))
    answered = draw(st.integers(0, queued - abandoned))
    within = draw(st.integers(0, answered))
    handled = draw(st.integers(0, answered))
    return Counts(
        queued=queued,
        handled=handled,
        abandoned=abandoned,
        answered=answered,
        answered_in_threshold=within,
        handle_seconds=handled * draw(st.floats(0, 3600)),
        answer_seconds=answered * draw(st.floats(0, 600)),
        max_queued_time=draw(st.none() | st.floats(0, 86_400)) if queued else None,
    )


many = st.lists(queue_counts(), min_size=1, max_size=12)


@given(many)
def test_the_total_service_level_is_summed_within_over_summed_queued(parts: list[Counts]) -> None:
    whole = totals.total(parts)
    queued = sum(p.queued for p in parts)
    level = totals.service_level(whole)
    if queued == 0:
        assert level is None
        return
    assert level is not None
    assert math.isclose(level, 100 * sum(p.answered_in_threshold for p in parts) / queued)
    # A weighted mean of the parts' levels: within their range, whatever the weights.
    levels = [totals.service_level(p) for p in parts if p.queued]
    assert min(levels) - 1e-9 <= level <= max(levels) + 1e-9  # type: ignore[type-var]


def test_two_queues_of_different_sizes_are_not_averaged() -> None:
    # A VIP line of 10 contacts all answered in time, a busy line of 990 half answered.
    vip = Counts(queued=10, answered=10, answered_in_threshold=10)
    busy = Counts(queued=990, answered=900, answered_in_threshold=495, abandoned=90)
    whole = totals.total([vip, busy])
    assert totals.service_level(whole) == 50.5  # not (100 + 50) / 2 = 75
    assert totals.abandonment_rate(whole) == 9.0


@given(many)
def test_rates_and_averages_are_weighted_by_their_counts(parts: list[Counts]) -> None:
    whole = totals.total(parts)
    handled = sum(p.handled for p in parts)
    answered = sum(p.answered for p in parts)
    handle = totals.avg_handle_time(whole)
    answer = totals.avg_answer_time(whole)
    assert (handle is None) == (handled == 0)
    assert (answer is None) == (answered == 0)
    if handle is not None:
        weighted = sum((totals.avg_handle_time(p) or 0) * p.handled for p in parts) / handled
        assert math.isclose(handle, weighted, rel_tol=1e-9, abs_tol=1e-9)
    if whole.queued:
        assert math.isclose(
            totals.abandonment_rate(whole) or 0.0,
            100 * sum(p.abandoned for p in parts) / whole.queued,
        )
    longest = [p.max_queued_time for p in parts if p.max_queued_time is not None]
    assert whole.max_queued_time == (max(longest) if longest else None)


@given(many, st.integers(0, 12))
def test_a_split_of_the_queues_totals_to_the_whole(parts: list[Counts], at: int) -> None:
    left, right = totals.total(parts[:at]), totals.total(parts[at:])
    whole = totals.total(parts)
    both = left + right
    assert (both.queued, both.answered_in_threshold, both.abandoned) == (
        whole.queued,
        whole.answered_in_threshold,
        whole.abandoned,
    )
    assert totals.service_level(both) == totals.service_level(whole)


def test_nothing_queued_is_no_figure_never_zero() -> None:
    empty = totals.total([])
    assert totals.service_level(empty) is None
    assert totals.abandonment_rate(empty) is None
    assert totals.avg_handle_time(empty) is None
    assert totals.target_level(None, 80) is None


def test_target_met_at_risk_and_missed() -> None:
    assert totals.target_level(80.0, 80) == "met"
    assert totals.target_level(92.0, 80) == "met"
    assert totals.target_level(76.0, 80) == "at_risk"
    assert totals.target_level(75.0, 80) == "at_risk"
    assert totals.target_level(74.9, 80) == "missed"
