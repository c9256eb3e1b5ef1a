"""The supervisor's table on the real demo: the numbers the socket sent, updates (rows out
of sight too), sorting with the keyboard, and trend lines."""

import json
from typing import Any

from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from bench.wallboard_messages import SyntheticCentre, wallboard_message
from tests.browser import (
    READ_TABLE,
    DemoSite,
    SocketLog,
    expected_rows,
    live_table,
    new_context,
    sign_in,
    wait_until,
)


def test_the_table_shows_the_numbers_the_socket_sent(supervisor_page: Page, demo: DemoSite) -> None:
    log = SocketLog(supervisor_page)
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    table = live_table(supervisor_page)
    msg = log.with_seq(table["seq"], table["source"])
    assert msg["rows"], "the demo has queues"
    assert table["rows"] == expected_rows(msg)
    # Column headings are the console's labels, as the snapshot carries them.
    labels = [m["label"] for m in msg["metrics"]]
    assert table["headers"][1:] == labels
    assert labels == ["Online", "Available", "On contact", "ACW", "In queue", "Oldest"]
    assert table["order"] == [row["key"] for row in msg["rows"]]


def test_an_update_changes_the_page(supervisor_page: Page, demo: DemoSite) -> None:
    log = SocketLog(supervisor_page)
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    first = live_table(supervisor_page)
    first_time = supervisor_page.text_content("#data-time")
    later = wait_until(
        lambda: (t := supervisor_page.evaluate(READ_TABLE))["seq"] > first["seq"] and t,
        timeout=10,
        message="no update reached the page",
    )
    assert later["rows"] == expected_rows(log.with_seq(later["seq"], later["source"]))
    # The header's time is the oldest numbers on screen: the demo board has two panels,
    # so it moves on once both have had an update since the first reading.
    wait_until(
        lambda: supervisor_page.text_content("#data-time") not in (first_time, "\u2013"),
        timeout=10,
        message="the time of the data stayed at the first reading",
    )


READ_ROWS_ON_SCREEN = """() => {
  const onScreen = (tr) => {
    const box = tr.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  };
  const panel = document.querySelector(".panel");
  const rows = [...panel.querySelectorAll(".queue-table tbody tr")];
  const shown = {};
  for (const tr of rows.filter(onScreen)) {
    const cells = {};
    for (const td of tr.querySelectorAll("td")) {
      cells[td.dataset.metric] = td.querySelector(".value").innerText;
    }
    shown[tr.dataset.key] = { label: tr.querySelector("th").innerText, cells };
  }
  return {
    seq: Number(panel.dataset.seq),
    source: Number(panel.dataset.source),
    total: rows.length,
    last: rows[rows.length - 1].dataset.key,
    shown,
  };
}"""


# Reads the rows on screen as soon as the page shows a new seq, in the same
# frame, before any later frame could write them. innerText is the text as
# rendered: empty for a row the browser skips (content-visibility), as it
# would a row a new order brings on screen from far away if the page did not
# mark it as on screen.
WATCH_ROWS_AT_RENDER = f"""() => {{
  const read = {READ_ROWS_ON_SCREEN};
  window.rowsAtRender = [];
  new MutationObserver(() => window.rowsAtRender.push(read())).observe(
    document.querySelector(".panel"), {{ attributes: true, attributeFilter: ["data-seq"] }});
}}"""


def rows_on_screen_are_current(page: Page, log: SocketLog) -> dict[str, Any] | None:
    """What the rows on screen show, if it is the numbers of the seq the page shows."""
    seen: dict[str, Any] = page.evaluate(READ_ROWS_ON_SCREEN)
    return seen if shows_its_seq(seen, log) else None


def whole_table_is_current(page: Page, log: SocketLog) -> bool:
    table = page.evaluate(READ_TABLE)
    return bool(table["rows"] == expected_rows(log.with_seq(table["seq"], table["source"])))


def shows_its_seq(seen: dict[str, Any], log: SocketLog) -> bool:
    expected = expected_rows(log.with_seq(seen["seq"], seen["source"]))
    return all(expected[key] == shown for key, shown in seen["shown"].items())


def test_rows_out_of_sight_are_current_a_moment_after_an_update(
    browser: Browser,
    demo: DemoSite,
) -> None:
    # A short window shows a few rows: an update writes those in its frame and
    # the rest in the frames after it, so every row is current a moment later.
    context = new_context(browser, viewport={"width": 1280, "height": 420})
    try:
        page = context.new_page()
        log = SocketLog(page)
        sign_in(page, demo)
        page.goto(demo.url("/wallboards/demo/"))
        live_table(page)
        # The rows on screen show an update's numbers in the frame that shows
        # its seq.
        page.evaluate(WATCH_ROWS_AT_RENDER)
        page.wait_for_timeout(3_000)
        at_render = page.evaluate("window.rowsAtRender")
        assert len(at_render) >= 2, "updates reached the page"
        for seen in at_render:
            assert 0 < len(seen["shown"]) < seen["total"] / 2, "most rows are out of sight"
            expected = expected_rows(log.with_seq(seen["seq"], seen["source"]))
            assert seen["shown"] == {key: expected[key] for key in seen["shown"]}
        # All rows, out of sight too, match one update: the page does not wait
        # for them to be scrolled into view.
        wait_until(
            lambda: whole_table_is_current(page, log),
            timeout=10,
            message="rows out of sight never caught up with the numbers on screen",
        )
        # Scrolled to the table's end (the page goes on with the wallboard's other
        # panels), its last rows show current numbers.
        last_row = page.locator(".panel").first.locator(".queue-table tbody tr").last
        page.mouse.wheel(0, last_row.bounding_box()["y"])  # type: ignore[index]
        wait_until(
            lambda: (r := rows_on_screen_are_current(page, log)) and r["last"] in r["shown"],
            timeout=10,
            message="rows scrolled into view did not show the current numbers",
        )
    finally:
        context.close()


def test_sorting_by_a_column_works_with_the_keyboard(supervisor_page: Page, demo: DemoSite) -> None:
    log = SocketLog(supervisor_page)
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    live_table(supervisor_page)
    # Each panel sorts on its own; this is the first one's table.
    first_panel = supervisor_page.locator(".panel").first

    def online_descending() -> bool:
        table = supervisor_page.evaluate(READ_TABLE)
        rows = {row["key"]: row for row in log.with_seq(table["seq"], table["source"])["rows"]}
        online = [rows[key]["values"]["AGENTS_ONLINE"] for key in table["order"]]
        return online == sorted(online, reverse=True)

    def names_ascending() -> bool:
        table = supervisor_page.evaluate(READ_TABLE)
        names = [table["rows"][key]["label"] for key in table["order"]]
        return names == sorted(names, key=str.lower)

    first_panel.locator("th[data-sort-key=AGENTS_ONLINE] button").focus()
    supervisor_page.keyboard.press("Enter")
    expect(first_panel.locator("th[data-sort-key=AGENTS_ONLINE]")).to_have_attribute(
        "aria-sort", "descending"
    )
    wait_until(online_descending, timeout=5, message="the rows were not sorted by Online")
    supervisor_page.keyboard.press("Enter")
    expect(first_panel.locator("th[data-sort-key=AGENTS_ONLINE]")).to_have_attribute(
        "aria-sort", "ascending"
    )
    first_panel.locator("th[data-sort-key=label] button").click()
    wait_until(names_ascending, timeout=5, message="the rows were not sorted by name")
    # The choice is kept for the next visit.
    supervisor_page.reload()
    expect(first_panel.locator("th[data-sort-key=label]")).to_have_attribute(
        "aria-sort", "ascending"
    )


def test_trend_lines_show_the_last_hour_of_each_row(supervisor_page: Page, demo: DemoSite) -> None:
    """An hour of history (synthetic: the demo server has not run that long)."""
    centre = SyntheticCentre(queues=5, build=demo.build)
    centre.warm_up(minutes=60)
    snapshot = centre.snapshot()

    def feed(ws: WebSocketRoute) -> None:
        ws.send(wallboard_message("Trends", build=demo.build))
        ws.send(snapshot)

    supervisor_page.route_web_socket("**/ws/wallboards/**", feed)
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    supervisor_page.wait_for_selector(".spark.has-trend", state="attached")
    lines = supervisor_page.eval_on_selector_all(
        ".queue-table tbody td",
        """(cells) => cells.filter((td) => td.querySelector(".spark")).map((td) => ({
             metric: td.dataset.metric,
             drawn: td.querySelector(".spark").classList.contains("has-trend"),
             points: td.querySelectorAll(".spark path")[0].getAttribute("d").split("L").length + 1,
           }))""",
    )
    trends = json.loads(snapshot)["trends"]
    assert {line["metric"] for line in lines} == {
        "AGENTS_AVAILABLE",
        "CONTACTS_IN_QUEUE",
        "OLDEST_CONTACT_AGE",
    }
    assert len(lines) == 5 * 3 and all(line["drawn"] for line in lines)
    expected = {len(series) for row in trends.values() for series in row.values()}
    assert {line["points"] for line in lines} == expected
