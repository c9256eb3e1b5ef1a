"""The pages of a wallboard with two panels, in a real Chromium against the real demo
server (tests/browser.py): the demo TV shows both panels at once on a 1080p screen, the
supervisor view a table per panel, and each update reaches the panel of its source."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from bench.wallboard_messages import SyntheticCentre
from connectmetrics.connectapi.catalogue import DEFAULT_METRICS
from connectmetrics.wire.message_builder import iso
from connectmetrics.wire.socket_messages import PanelSettings, WallboardMessage, encode
from tests.browser import (
    DemoSite,
    SocketLog,
    browser,  # noqa: F401
    expected_rows,
    playwright_session,  # noqa: F401
    run_module,
    save_screenshot,
    serving,
    sign_in,
)
from tests.processes import SECOND_PANEL

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    yield from serving(DemoSite(tmp_path_factory.mktemp("panels")))


# --- the page's state, per source ----------------------------------------------------

PER_SOURCE = """
  const snapshot = (source, seq, n) => ({ type: "snapshot", queue_filter: source, seq,
    status: "ok", metrics: [{ name: "CONTACTS_IN_QUEUE" }], groupings: ["QUEUE"],
    trend_metrics: [], trends: {},
    rows: [{ key: "QUEUE=a", label: "A", dimensions: {}, values: { CONTACTS_IN_QUEUE: n },
             levels: {} }], totals: { values: {}, levels: {} } });
  const update = (source, seq, base, n) => ({ type: "update", queue_filter: source, seq, base,
    status: "ok", totals: { values: {}, levels: {} }, trend_bucket: null,
    changes: { 0: { values: { 0: n } } } });
  const panels = [{ id: 1, queue_filter: 3 }, { id: 2, queue_filter: 4 },
                  { id: 3, queue_filter: 3 }];
  let s = m.initialState({ title: "T", panels });
  s = m.applyMessage(s, snapshot(3, 10, 1));
  s = m.applyMessage(s, snapshot(4, 50, 7));
  s = m.applyMessage(s, snapshot(9, 1, 1));                  // no panel shows 9
  const three = s.sources[3];
  s = m.applyMessage(s, update(4, 51, 50, 8));
  const afterUpdate = { three: s.sources[3] === three, four: s.sources[4].rows[0].values,
                        sources: Object.keys(s.sources), shared: m.dataOf(s, panels[2]) === three,
                        order: m.sourcesOf(s.wallboard) };
  const gap = m.applyMessage(s, update(3, 12, 11, 2)).outOfStep;
  s = m.applyMessage(s, { type: "wallboard", panels: [{ id: 2, queue_filter: 4 }] });
  return { afterUpdate, gap, kept: Object.keys(s.sources) };
"""


def test_the_page_keeps_each_sources_data_apart(modules: Page) -> None:
    result = run_module(modules, "state.js", PER_SOURCE)

    after = result["afterUpdate"]
    # An update of one source leaves the other's data as it was (the same object).
    assert after["three"] and after["four"] == {"CONTACTS_IN_QUEUE": 8}
    assert after["sources"] == ["3", "4"]  # a snapshot no panel shows is dropped
    assert after["shared"] and after["order"] == [3, 4]  # two panels, one source
    assert result["gap"] is True  # a missed update of either source: connect again
    assert result["kept"] == ["4"]  # a removed panel's source goes


# --- the demo TV: two panels on one screen -------------------------------------------

FIT = """() => {
  const inside = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5
      && r.bottom <= innerHeight + 0.5;
  };
  const doc = document.documentElement;
  return {
    scrolls: doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth,
    panels: [...document.querySelectorAll(".panel")].map((panel) => ({
      title: panel.querySelector(".panel-title").textContent,
      titleCut: (() => {
        const title = panel.querySelector(".panel-title");
        return title.scrollWidth > title.clientWidth + 1;
      })(),
      tiles: panel.querySelectorAll(".tile").length,
      rows: Number(panel.dataset.rows),
      paged: !panel.querySelector(".panel-page").hidden,
      inside: [...panel.querySelectorAll(".tile, .total")].every(inside),
      clipped: [...panel.querySelectorAll(".tile .metric")]
        .filter((m) => m.scrollWidth > m.clientWidth + 1).length,
      smallest: Math.min(...[...panel.querySelectorAll(".tile .value, .total .value")]
        .map((v) => parseFloat(getComputedStyle(v).fontSize))) / innerHeight,
      width: panel.getBoundingClientRect().width,
    })),
  };
}"""


def open_demo_tv(context: BrowserContext, demo: DemoSite) -> Page:
    page = context.new_page()
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    return page


def test_the_demo_tv_shows_both_panels_on_one_full_hd_screen_readable(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = open_demo_tv(context, demo)
    page.wait_for_timeout(1_500)  # a few updates: the split settles on the numbers

    fit = page.evaluate(FIT)

    save_screenshot(page, "tv-two-panels")
    assert not fit["scrolls"]
    assert [p["title"] for p in fit["panels"]] == ["All queues", SECOND_PANEL]
    for panel in fit["panels"]:
        # Every queue of each panel on screen at once, none paged, none cut.
        assert panel["tiles"] == panel["rows"] > 0 and not panel["paged"], panel
        assert panel["inside"] and panel["clipped"] == 0 and not panel["titleCut"], panel
        # Digits, of the tiles and of the totals, at least 3% of the screen's height:
        # readable across a room (about 5 m on a 55-inch screen).
        assert panel["smallest"] >= 0.03, panel
    # The panel with more to show gets more of the screen.
    assert fit["panels"][0]["width"] > 2 * fit["panels"][1]["width"]


def test_each_panel_has_its_own_stale_banner(context: BrowserContext, demo: DemoSite) -> None:
    page = context.new_page()
    held = {"source": 0}

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def forward(message: str | bytes) -> None:
            parsed = json.loads(message)
            if parsed.get("type") != "update" or parsed["queue_filter"] != held["source"]:
                ws.send(message)

        server.on_message(forward)

    page.route_web_socket("**/ws/wallboards/**", relay)
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    second = page.locator(".panel").nth(1)
    held["source"] = int(second.get_attribute("data-source") or 0)

    # The second panel's numbers stop; only its banner says so.
    expect(second.locator(".stale-banner")).to_contain_text(
        "waiting for new numbers", timeout=12_000
    )
    expect(page.locator(".panel").first.locator(".stale-banner")).to_be_hidden()
    assert second.get_attribute("data-freshness") == "stale"
    expect(page.locator("#live-state")).to_have_text("Not live")


# --- the supervisor view: a table per panel ------------------------------------------

READ_PANELS = """() => [...document.querySelectorAll(".panel")].map((panel) => {
  const rows = {};
  for (const tr of panel.querySelectorAll(".queue-table tbody tr")) {
    const cells = {};
    for (const td of tr.querySelectorAll("td")) {
      cells[td.dataset.metric] = td.querySelector(".value").textContent;
    }
    rows[tr.dataset.key] = { label: tr.querySelector("th").textContent, cells };
  }
  return { title: panel.querySelector(".panel-title").textContent,
           source: Number(panel.dataset.source), seq: Number(panel.dataset.seq), rows };
})"""


def test_the_supervisor_view_shows_a_table_per_panel_with_its_sources_numbers(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = context.new_page()
    log = SocketLog(page)
    sign_in(page, demo)
    page.goto(demo.url("/wallboards/demo/"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    # Live once one source's numbers are in: wait for every panel's.
    page.wait_for_function(
        "[...document.querySelectorAll('.panel')].every((panel) => Number(panel.dataset.rows) > 0)",
        timeout=20_000,
    )

    panels = page.evaluate(READ_PANELS)

    save_screenshot(page, "supervisor-two-panels")
    assert [p["title"] for p in panels] == ["All queues", SECOND_PANEL]
    assert panels[0]["source"] != panels[1]["source"]
    for panel in panels:
        assert panel["rows"] == expected_rows(log.with_seq(panel["seq"], panel["source"]))
    assert len(panels[0]["rows"]) == 20 and len(panels[1]["rows"]) == 4


# --- an update reaches the panel of its source ---------------------------------------


def two_panel_message(build: str) -> str:
    return encode(
        WallboardMessage(
            slug="demo",
            title="Two sources",
            panels=[
                PanelSettings(1, "First", "tiles", list(DEFAULT_METRICS), 1),
                PanelSettings(2, "Second", "tiles", list(DEFAULT_METRICS), 2),
            ],
            theme="dark",
            ticker="",
            sound_on_critical=False,
            rotation=[],
            rotation_seconds=3600,
            build=build,
            published_at=iso(datetime.now(UTC)) or "",
        )
    )


TILE_VALUES = """(source) => Object.fromEntries(
  [...document.querySelectorAll(`.panel[data-source="${source}"] .tile`)].map((tile) => [
    tile.dataset.key,
    Object.fromEntries([...tile.querySelectorAll(".metric")].map((m) =>
      [m.dataset.metric, m.querySelector(".value").textContent])),
  ]))"""


def test_a_live_update_reaches_the_panel_of_its_source_and_no_other(
    context: BrowserContext, demo: DemoSite
) -> None:
    first, second = (
        SyntheticCentre(queues=3, queue_filter=1, build=demo.build, seed=1),
        SyntheticCentre(queues=3, queue_filter=2, build=demo.build, seed=2),
    )
    sockets: list[WebSocketRoute] = []

    def feed(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.send(two_panel_message(demo.build))
        ws.send(first.snapshot())
        ws.send(second.snapshot())

    page = context.new_page()
    page.route_web_socket("**/ws/wallboards/**", feed)
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    expect(page.locator(".panel[data-source='2'] .tile")).to_have_count(3)
    before: dict[str, Any] = {s: page.evaluate(TILE_VALUES, s) for s in (1, 2)}
    first_seq = page.get_attribute(".panel[data-source='1']", "data-seq")

    # Ten minutes of the second centre: its numbers change, the first's do not.
    update = next(second.updates(seconds=600))
    sockets[0].send(update)
    seq = json.loads(update)["seq"]
    expect(page.locator(".panel[data-source='2']")).to_have_attribute("data-seq", str(seq))

    after = page.evaluate(TILE_VALUES, 2)
    assert after != before[2]
    assert page.evaluate(TILE_VALUES, 1) == before[1]
    assert page.get_attribute(".panel[data-source='1']", "data-seq") == first_seq
