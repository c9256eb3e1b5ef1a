"""Today's KPI panel in Chromium, on the demo's `today` wallboard as `make demo` serves
it: a service level that meets, nearly meets or misses its target shown in colour AND
with an icon and a word, times as m:ss, the trend line, the "as of" time; the live
centre totals beside it at 1920x1080 with nothing scrolled, even with 20 queues; and
the simulated centre's own day reaching the panel. Screenshots go to test-artifacts/."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import (  # noqa: F401  (fixtures)
    DemoSite,
    browser,
    new_context,
    panel_site,
    panel_tv,
    playwright_session,
    save_screenshot,
    sign_in,
    wait_for_first_snapshot,
    wait_until,
)

pytestmark = pytest.mark.browser

QUARTER_MS = 15 * 60 * 1000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    # The today wallboard as `make demo` shows it: the centre totals and today, both live.
    yield from panel_site(
        tmp_path_factory.mktemp("today-demo"),
        "today",
        setup="from connectmetrics.models import QueueFilter; "
        "from connectmetrics.today.models import TodaySource; "
        "QueueFilter.objects.filter(name='Centre totals').update(enabled=True); "
        "print(TodaySource.objects.update(enabled=True))",
    )


@pytest.fixture
def tv(site: DemoSite, browser: Browser) -> Iterator[Page]:  # noqa: F811
    yield from panel_tv(browser, site, "today", "today", shown=".today")


def figures(level: float | None, queued: int = 400, **extra: Any) -> dict[str, Any]:
    return {
        "queued": queued,
        "handled": queued - 40,
        "abandoned": 24,
        "service_level": level,
        "abandonment_rate": 6.0,
        "avg_handle_time": 754.0,
        "avg_answer_time": 45.0,
        "max_queued_time": 300.0,
        **extra,
    }


def row(key: str, label: str, level: float | None, target: int, standing: str | None) -> dict:
    return {
        "key": key,
        "label": label,
        "threshold": 20,
        "target": target,
        "level": standing,
        "figures": figures(level),
        "trend": [],
    }


def show(
    page: Page,
    rows: list[dict[str, Any]],
    total_level: str = "at_risk",
    *,
    status: str = "ok",
    reason: str = "",
    age_s: float = 0,
    seq: int = 1000,
    columns: list[str] | None = None,
    grouping: str = "QUEUE",
) -> None:
    """A today_snapshot for the page's today panel, as the server would send it: the
    day since the screen's midnight, a trend point each quarter hour until now; its
    numbers `age_s` old."""
    page.evaluate(
        """([rows, totalLevel, quarter, status, reason, ageMs, seq, columns, grouping]) => {
          const state = window.wallboardPage.state;
          const source = state.wallboard.panels.find((p) => p.layout === "today").source;
          const nowMs = window.wallboardPage.serverNow();
          const midnight = new Date(nowMs); midnight.setHours(0, 0, 0, 0);
          const trend = [];
          for (let t = midnight.getTime(); t < nowMs; t += quarter) {
            trend.push([t, 70 + 20 * Math.sin(t / 3.6e6)]);
          }
          for (const r of rows) { r.trend = trend; }
          const now = new Date(nowMs).toISOString();
          const then = new Date(nowMs - ageMs).toISOString();
          window.wallboardPage.receive({
            type: "today_snapshot", source, seq, published_at: now, build: "",
            status, reason, fetched_at: then, poll_interval: 60,
            day_start: midnight.toISOString(), as_of: then, time_zone: "Europe/London",
            ...(columns ? { columns, grouping } : {}),
            rows,
            total: { target: 80, level: totalLevel, trend,
                     figures: { queued: 1200, handled: 1100, abandoned: 60, service_level: 77.5,
                                abandonment_rate: 5.0, avg_handle_time: 300.0,
                                avg_answer_time: 21.0, max_queued_time: 400.0,
                                avg_abandon_time: 33.0 } } });
        }""",
        [rows, total_level, QUARTER_MS, status, reason, age_s * 1000, seq, columns, grouping],
    )
    page.wait_for_timeout(300)


def standing(page: Page, key: str) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """(key) => {
              const r = document.querySelector(`.today-row[data-key="${key}"]`);
              const sl = r.querySelector('.today-sl');
              const badge = sl.querySelector('.today-standing');
              const figure = (name) =>
                r.querySelector(`[data-figure="${name}"] .today-figure-value`).textContent;
              return { standing: sl.dataset.standing, value: sl.querySelector('.today-sl-value')
                         .textContent,
                       words: badge.hidden ? null : badge.textContent,
                       icon: badge.querySelector('svg') !== null && badge.offsetWidth > 0,
                       colour: getComputedStyle(badge).backgroundColor,
                       handle: figure('avg_handle_time'), answer: figure('avg_answer_time'),
                       rate: figure('abandonment_rate'),
                       trend: Number(r.querySelector('.today-trend').dataset.points) };
            }""",
            key,
        )
    )


def test_targets_met_at_risk_and_missed_show_colour_icon_and_words(tv: Page) -> None:
    show(
        tv,
        [
            row("q-met", "VIP", 93.0, 90, "met"),
            row("q-risk", "Sales", 77.0, 80, "at_risk"),
            row("q-missed", "Billing", 52.0, 80, "missed"),
            row("q-none", "Night line", None, 80, None),
        ],
    )
    met, risk, missed = (standing(tv, key) for key in ("q-met", "q-risk", "q-missed"))
    assert (met["standing"], met["value"], met["words"]) == ("met", "93%", "Met")
    assert (risk["standing"], risk["words"]) == ("at_risk", "At risk")
    assert (missed["standing"], missed["value"], missed["words"]) == ("missed", "52%", "Missed")
    # Colour is never the only cue: an icon and a word beside it, a colour of each standing.
    assert met["icon"] and risk["icon"] and missed["icon"]
    assert len({met["colour"], risk["colour"], missed["colour"]}) == 3
    # Times as the console shows them; the trend line drawn through the day.
    assert (met["handle"], met["answer"], met["rate"]) == ("12:34", "0:45", "6%")
    assert met["trend"] >= 1
    none = standing(tv, "q-none")
    assert (none["standing"], none["value"], none["words"]) == (
        "none",
        "\u2013",
        None,
    )  # a dash, never 0
    total = tv.evaluate(
        """() => { const t = document.querySelector('.today-total');
                   return [t.querySelector('.today-sl').dataset.standing,
                           t.querySelector('.today-sl-value').textContent,
                           t.querySelector('.today-standing').textContent,
                           document.querySelector('.today-as-of').textContent]; }"""
    )
    assert total[:3] == ["at_risk", "78%", "At risk"]
    assert total[3].startswith("Since midnight Europe/London · as of ")
    save_screenshot(tv, "today-tv-standings")


def freshness(page: Page) -> list[Any]:
    return list(
        page.evaluate(
            """() => { const p = document.querySelector('.panel[data-layout="today"]');
                       const banner = p.querySelector('.stale-banner');
                       return [p.dataset.freshness, banner.hidden ? null : banner.textContent,
                               getComputedStyle(p.querySelector('.today')).opacity]; }"""
        )
    )


def test_the_panel_shows_the_sources_chosen_columns_in_order(tv: Page) -> None:
    chosen = ["AVG_ABANDON_TIME", "CONTACTS_QUEUED", "MAX_QUEUED_TIME"]
    profiles = [row(f"rp-{n}", f"Routing profile {n} long name", None, 80, None) for n in range(12)]
    for shown in profiles:
        shown["figures"]["avg_abandon_time"] = 65.0
    show(tv, profiles, columns=chosen, grouping="ROUTING_PROFILE", seq=3000)
    seen = tv.evaluate(
        """() => {
          const head = [...document.querySelectorAll('.today-head > span')]
            .map((s) => s.textContent);
          const row = document.querySelector('.today-row[data-key="rp-0"]');
          const cells = [...row.querySelectorAll('.today-figure')].map((c) =>
            [c.dataset.figure, c.querySelector('.today-figure-value').textContent]);
          const total = document.querySelector('.today-total');
          return { head, cells,
                   sl: document.querySelectorAll('.today .today-sl, .today .today-trend').length,
                   total: total.querySelector('.today-total-name').textContent,
                   totalFigures: [...total.querySelectorAll('.today-figure')]
                     .map((c) => c.dataset.figure),
                   cut: [...document.querySelectorAll(
                     '.today-tv :is(.today-name, .today-head > span, .today-figure-value)')]
                     .filter((n) => n.scrollWidth > n.clientWidth + 1).map((n) => n.textContent),
                   scroll: [document.documentElement.scrollHeight, innerHeight] };
        }"""
    )
    save_screenshot(tv, "today-tv-chosen-columns")
    assert seen["head"] == ["Routing profile", "Avg abandon", "Queued", "Longest wait"]
    assert seen["cells"] == [
        ["avg_abandon_time", "1:05"],
        ["queued", "400"],
        ["max_queued_time", "5:00"],
    ]
    # No service level chosen: no service-level column, standing or trend anywhere.
    assert seen["sl"] == 0
    assert seen["total"] == "All routing profiles"
    assert seen["totalFigures"] == ["avg_abandon_time", "queued", "max_queued_time"]
    assert seen["cut"] == [] and seen["scroll"][0] <= seen["scroll"][1]
    # Every column of the wall: all nine, names and headings whole at 1080p.
    every = [
        "SERVICE_LEVEL",
        "CONTACTS_QUEUED",
        "CONTACTS_HANDLED",
        "CONTACTS_ABANDONED",
        "ABANDONMENT_RATE",
        "AVG_HANDLE_TIME",
        "AVG_QUEUE_ANSWER_TIME",
        "MAX_QUEUED_TIME",
        "AVG_ABANDON_TIME",
    ]
    queues = [row(f"q-{n}", f"Back Office {n}", 70.0, 80, "missed") for n in range(12)]
    show(tv, queues, columns=every, seq=3001)
    whole = tv.evaluate(
        """() => ({
          head: document.querySelectorAll('.today-head > span').length,
          cut: [...document.querySelectorAll(
            '.today-tv :is(.today-name, .today-head > span, .today-figure-value)')]
            .filter((n) => n.scrollWidth > n.clientWidth + 1).map((n) => n.textContent),
          font: parseFloat(getComputedStyle(document.querySelector('.today-rows .today-row'))
            .fontSize) })"""
    )
    save_screenshot(tv, "today-tv-every-column")
    assert whole["head"] == 1 + 1 + 8 + 1  # name, service level, eight figures, trend
    assert whole["cut"] == []
    assert whole["font"] >= 0.022 * 1080 - 0.5


def test_the_supervisor_page_shows_the_chosen_columns_too(
    site: DemoSite,
    browser: Browser,  # noqa: F811
) -> None:
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site.url("/wallboards/today/"))
        page.wait_for_function("() => document.querySelector('.today-supervisor') !== null")
        wait_for_first_snapshot(page, "today")
        chosen = ["CONTACTS_HANDLED", "SERVICE_LEVEL", "AVG_ABANDON_TIME"]
        show(page, [row("q-1", "VIP", 93.0, 90, "met")], columns=chosen, seq=4000)
        head = page.evaluate(
            "() => [...document.querySelectorAll('.today-supervisor .today-head > span')]"
            ".map((s) => s.textContent)"
        )
        # In the source's order, the service level's where it chose it; its trend last.
        assert head == ["Queue", "Handled", "Service level", "Avg abandon", "Trend today"]
        cells = page.evaluate(
            """() => [...document.querySelector('.today-supervisor .today-rows .today-row')
                         .children].map((c) => c.dataset.figure || c.getAttribute("class"))"""
        )
        assert cells == [
            "today-name",
            "handled",
            "today-sl today-row-sl",
            "avg_abandon_time",
            "today-trend",
        ]
    finally:
        context.close()


def test_old_or_failed_numbers_are_marked_stale_as_on_the_live_panels(tv: Page) -> None:
    rows = [row("q-met", "VIP", 93.0, 90, "met")]
    show(tv, rows, seq=2000)
    assert freshness(tv)[:2] == ["live", None]
    # Polled once a minute: numbers two intervals and 5 s old are no longer live.
    show(tv, rows, age_s=126, seq=2001)
    kind, words, opacity = freshness(tv)
    assert kind == "stale" and "waiting for new numbers" in words and float(opacity) < 1
    reason = "Amazon Connect is throttling requests; showing the numbers from 11:00:00"
    show(tv, rows, status="stale", reason=reason, seq=2002)
    assert freshness(tv)[:2] == ["stale", reason]


def test_twenty_queues_beside_the_live_totals_fit_1080p_without_scrolling(tv: Page) -> None:
    standings = ["met", "at_risk", "missed"]
    show(
        tv,
        [
            row(f"q-{n:02d}", f"Queue {n:02d} long name", 60.0 + n, 80, standings[n % 3])
            for n in range(20)
        ],
    )
    layout = tv.evaluate(
        """() => {
          const panels = [...document.querySelectorAll('.panel')].map((p) => p.dataset.layout);
          const host = document.querySelector('.panel[data-layout="today"]')
            .getBoundingClientRect();
          const rows = [...document.querySelectorAll('.today-rows .today-row')];
          const font = parseFloat(getComputedStyle(rows[0]).fontSize);
          const tiles = document.querySelector('.panel[data-layout="tiles"]')
            .getBoundingClientRect();
          return {
            panels, shown: rows.length, font,
            inside: rows.every((r) => { const b = r.getBoundingClientRect();
              return b.bottom <= host.bottom + 1 && b.right <= host.right + 1; }),
            side: tiles.right <= host.left + 1 && tiles.width > 300 && host.width > 700,
            page: document.querySelector('.panel[data-layout="today"] .panel-page').textContent,
            scroll: [document.documentElement.scrollHeight, innerHeight,
                     document.documentElement.scrollWidth, innerWidth],
          };
        }"""
    )
    save_screenshot(tv, "today-tv-20-queues")
    assert layout["panels"] == ["tiles", "today"] and layout["side"]
    assert layout["scroll"][0] <= layout["scroll"][1] and layout["scroll"][2] <= layout["scroll"][3]
    assert layout["inside"] and 0 < layout["shown"] <= 20
    if layout["shown"] < 20:
        assert layout["page"].startswith("Page 1 of ")
    # Readable across a room: at least 2.2% of the screen's height.
    assert layout["font"] >= 0.022 * 1080 - 0.5


def test_the_simulated_centres_day_reaches_the_panel_on_both_pages(
    site: DemoSite,
    tv: Page,
    browser: Browser,  # noqa: F811
) -> None:
    # The server's own polls, once a minute: the first within a minute of starting.
    wait_until(
        lambda: tv.evaluate(
            """() => { const s = window.wallboardPage.state;
                       const p = s.wallboard.panels.find((x) => x.layout === "today");
                       const d = s.sources[p.source];
                       return d && d.status === "ok" && d.rows.length > 0; }"""
        ),
        90,
        "no poll of the today source reached the TV",
    )
    labels = tv.evaluate(
        "() => [...document.querySelectorAll('.today-rows .today-name')].map((n) => n.textContent)"
    )
    assert "VIP" in labels and "Back Office" in labels
    assert tv.evaluate("() => document.body.dataset.freshness") == "live"
    # Read across a room: no queue's name and no column heading cut short.
    cut = tv.evaluate(
        """() => [...document.querySelectorAll('.today-tv :is(.today-name, .today-head > span)')]
             .filter((n) => n.scrollWidth > n.clientWidth + 1).map((n) => n.textContent)"""
    )
    assert cut == []
    save_screenshot(tv, "today-tv", publish=True)
    context = new_context(browser)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site.url("/wallboards/today/"))
        page.wait_for_function(
            "() => document.querySelectorAll('.today-supervisor .today-rows .today-row').length > 0"
        )
        targets = page.evaluate(
            "() => [...document.querySelectorAll('.today-rows .today-sl-target')]"
            ".map((t) => t.textContent)"
        )
        # Each queue's own threshold and target (the VIP line: 60% within 5 minutes).
        assert "target 60% in 5:00" in targets
        save_screenshot(page, "today-supervisor", publish=True)
    finally:
        context.close()
