"""The page's pure modules, run in Chromium: durations as the console shows them, the
reconnect delays, when numbers turn stale, and how many tiles share a TV page."""

from playwright.sync_api import Page

from connectmetrics.connectapi.catalogue import format_duration
from tests.browser import UNKNOWN, run_module


def test_durations_read_as_the_console_shows_them(modules: Page) -> None:
    seconds = [0, 5, 59.9, 60, 61, 599, 3599, 3600, 3661, 36000, 86399]
    shown = run_module(
        modules, "format.js", "return arg.map((s) => m.formatValue(s, 'SECONDS'));", seconds
    )
    assert shown == [format_duration(s) for s in seconds]
    assert run_module(modules, "format.js", "return m.formatValue(null, 'SECONDS');") == UNKNOWN
    assert run_module(modules, "format.js", "return m.formatValue(0, 'COUNT');") == "0"
    assert run_module(modules, "format.js", "return m.formatValue(87.4, 'PERCENT');") == "87%"


def test_reconnect_delays_are_full_jitter_from_one_to_thirty_seconds(modules: Page) -> None:
    ceilings = run_module(
        modules,
        "connection.js",
        "return [0,1,2,3,4,5,6,10].map((n) => m.backoffDelay(n, () => 1));",
    )
    assert ceilings == [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    assert run_module(modules, "connection.js", "return m.backoffDelay(7, () => 0);") == 0


def test_freshness_turns_stale_past_two_intervals_and_a_margin(modules: Page) -> None:
    body = """
      const fetched = Date.parse("2026-11-26T14:03:22.000Z");
      const data = { status: "ok", fetched_at: "2026-11-26T14:03:22.000Z",
                     data_snapshot_time: null, poll_interval: 5 };
      const at = (s) => fetched + s * 1000;
      return {
        justInside: m.freshness(data, true, at(15)).live,
        justPast: m.freshness(data, true, at(15.1)),
        linkDown: m.freshness(data, false, at(1)),
        throttled: m.freshness({ ...data, status: "stale", reason: "Amazon Connect is throttling" },
                               true, at(1)),
        first: m.freshness(null, false, at(0)),
        clock: (await import("/static/wallboard/format.js")).formatClock(new Date(fetched)),
      };
    """
    result = run_module(modules, "freshness.js", body)
    assert result["justInside"] is True
    assert result["justPast"]["live"] is False
    assert result["justPast"]["text"] == f"Data from {result['clock']}; waiting for new numbers…"
    assert result["linkDown"]["text"] == f"Data from {result['clock']}, reconnecting…"
    assert result["throttled"]["text"] == "Amazon Connect is throttling"
    assert result["first"] == {"live": False, "kind": "connecting", "text": "Connecting…"}


def test_up_to_40_queues_share_a_page_and_more_rotate_through_pages(modules: Page) -> None:
    """40 queues of two metrics fit on a 1080p board; more, or more metrics, go over pages."""
    body = """
      const board = { width: 1880, height: 760, gap: 10, screenHeight: 1080, digit: 0.556 };
      return [[40, [3, 4.5]], [41, [3, 4.5]], [20, [3, 3, 3, 3, 3, 4.5]],
              [100, [3, 3, 3, 3, 3, 4.5]]]
        .map(([count, chars]) => m.fitTiles(count, chars, board))
        .map((f) => ({ pages: f.pages, perPage: f.perPage, share: f.value / 1080,
                       slots: f.cols * f.rows }));
    """
    forty, forty_one, twenty_wide, hundred = run_module(modules, "fit.js", body)
    assert forty["pages"] == 1 and forty["slots"] >= 40
    assert forty_one["pages"] == 2 and forty_one["perPage"] == 21  # spread evenly
    assert twenty_wide["pages"] == 1
    assert hundred["pages"] >= 3 and hundred["perPage"] <= 40
    assert all(f["share"] >= 0.03 for f in (forty, forty_one, twenty_wide, hundred))
