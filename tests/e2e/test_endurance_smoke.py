"""The endurance run's smoke test (bench/endurance.py): one simulated day in about a minute.

The real product (Redis, web, Celery worker and beat) on a data clock 1,440 times real
time, the demo TV with every panel kind (today's figures among them) and rotation on in
Chromium, the centre in Europe/London. After the warm-up the page's JS heap stays within
10% of its plateau and its DOM nodes do not grow, the page logs no JS error, the server
restart and the dropped network of the day each end with the TV live again over exactly
one socket, and the day's local midnight rolls the today panel over to the new day: its
day starts at that midnight and its counts start again. Only the plateau rule: no timing
asserts.
"""

import pytest

from bench import endurance
from tests.browser import require_chromium


def test_a_simulated_day_keeps_the_tv_flat_and_live_across_a_restart_and_a_drop() -> None:
    require_chromium()
    args = endurance.parser().parse_args(
        [
            *("--days", "1", "--speed", "1440"),
            # Ten data hours (25 real seconds) before the first midnight, so that starting
            # the processes on a loaded machine does not take the run past it: then the
            # midnight comes before the day's restart and drop, whose recoveries can take
            # a good part of a simulated day at this speed.
            *("--start", "2026-03-28T14:00:00+00:00"),
            *("--period-hours", "3", "--sample-minutes", "30", "--warmup-periods", "2"),
            *("--rotation-seconds", "20", "--offline-seconds", "5"),
            # The DOM's node count follows what the TV shows (which page of agents and
            # tiles, how many alerts), 990-1,290 over a day: it is held to no growth below.
            *("--hold", "heap_mb"),
        ]
    )
    lines: list[str] = []
    result = endurance.run(args, log=lambda *parts: lines.append(" ".join(map(str, parts))))
    endurance.report(args, result, log=lambda *parts: lines.append(" ".join(map(str, parts))))
    shown = "\n".join(lines)
    # The day's restart (10:00) and drop (15:00, the centre's time) both happened.
    assert sorted(r.what for r in result.recoveries) == ["network drop", "server restart"], shown
    assert max(result.periods()) > args.warmup_periods, shown
    # The day's one local midnight, on screen: the today panel's day starts there, its
    # counts from less than the day before ended with.
    assert len(result.rollovers) == 1, shown
    rollover = result.rollovers[0]
    assert rollover.after[0] == rollover.midnight, shown
    assert rollover.after[1] is not None and rollover.before[1] is not None, shown
    assert rollover.after[1] < rollover.before[1], shown
    # No DOM growth: the day's last hours hold no more nodes than the TV showed before.
    periods = result.periods()
    *before, last = (periods[n]["nodes"] for n in sorted(periods))
    assert last <= 1.1 * max(before), shown
    if result.failures():
        pytest.fail(f"the endurance smoke run failed:\n{shown}")
