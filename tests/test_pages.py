"""The wallboard pages: who may open them, and what a supervisor and a TV see.

The first half drives the views with Django's test client. The second half
drives a real Chromium against a real server process (tests/browser.py): the
numbers on screen are the numbers the socket sent, breaches stand out by more
than colour, a cut socket shows the stale banner and recovers by itself, and
display tokens open the TV view only where they should.
"""

import json
import os
import re
from collections.abc import Iterator
from functools import partial
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any

import msgspec
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    WebSocket,
    WebSocketRoute,
    expect,
)
from playwright.sync_api import Error as PlaywrightError

from bench.wallboard_messages import SyntheticCentre, wallboard_message
from connectmetrics import socket_messages
from connectmetrics.catalogue import SIMULATED_INSTANCE_ID, format_duration
from connectmetrics.models import AccessMode, ConnectInstance, QueueFilter
from connectmetrics.socket_messages import Snapshot, Update
from dashboard.models import DisplayToken, Wallboard
from tests.browser import (
    STALE_BOUND_SECONDS,
    DemoSite,
    browser,  # noqa: F401
    new_context,
    playwright_session,  # noqa: F401
    save_screenshot,
    sign_in,
    wait_until,
)
from tests.socket_rule import apply_update

# --- Django views (test client) ----------------------------------------------


@pytest.fixture
def queue_filter(db: None) -> QueueFilter:
    instance = ConnectInstance.objects.create(
        name="Demo centre", instance_id=SIMULATED_INSTANCE_ID, access_mode=AccessMode.SIMULATED
    )
    return QueueFilter.objects.create(name="All queues", instance=instance)


@pytest.fixture
def boards(queue_filter: QueueFilter) -> dict[str, Wallboard]:
    made = {
        slug: Wallboard.objects.create(slug=slug, title=title, queue_filter=queue_filter)
        for slug, title in (("sales", "Sales floor"), ("billing", "Billing"), ("night", "Night"))
    }
    made["sales"].rotation.add(made["billing"])
    return made


@pytest.fixture
def supervisor(db: None, boards: dict[str, Wallboard]) -> User:
    user = User.objects.create_user("sam", password="a-long-password-1")
    boards["sales"].viewers.add(user)
    team = Group.objects.create(name="Billing team")
    team.user_set.add(user)
    boards["billing"].viewer_groups.add(team)
    return user


@pytest.fixture
def signed_in(supervisor: User) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client


def test_home_goes_to_the_wallboard_list(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("wallboards")


@pytest.mark.parametrize("path", ["/wallboards/", "/wallboards/sales/", "/wallboards/sales/tv/"])
def test_pages_without_a_token_ask_for_sign_in(
    client: Client, boards: dict[str, Wallboard], path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_a_supervisor_signs_in_on_the_sites_own_page(client: Client, supervisor: User) -> None:
    response = client.post(
        reverse("login"), {"username": "sam", "password": "a-long-password-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("wallboards")
    assert b"Sales floor" in response.content


def test_the_list_shows_only_the_wallboards_a_supervisor_may_view(signed_in: Client) -> None:
    page = signed_in.get("/wallboards/").content.decode()
    assert "Sales floor" in page  # a viewer
    assert "Billing" in page  # through a group
    assert "Night" not in page


def test_a_supervisor_sees_a_wallboard_they_may_view(signed_in: Client) -> None:
    response = signed_in.get("/wallboards/sales/")
    assert response.status_code == 200
    config = page_config(response.content.decode())
    assert config["ws_path"] == "/ws/wallboards/sales/"
    assert config["wallboard"]["columns"] == list(Wallboard.objects.get(slug="sales").columns)
    assert config["catalogue"]["OLDEST_CONTACT_AGE"] == {"label": "Oldest", "unit": "SECONDS"}


@pytest.mark.parametrize("path", ["/wallboards/night/", "/wallboards/night/tv/"])
def test_a_wallboard_not_shared_with_the_supervisor_is_refused(
    signed_in: Client, path: str
) -> None:
    response = signed_in.get(path)
    assert response.status_code == 403
    assert "You do not have access to this wallboard" in response.content.decode()


@pytest.mark.parametrize("path", ["/wallboards/nope/", "/wallboards/nope/tv/"])
def test_an_unknown_wallboard_is_not_found(signed_in: Client, path: str) -> None:
    assert signed_in.get(path).status_code == 404


def test_a_tv_with_its_display_token_needs_no_sign_in(
    client: Client, boards: dict[str, Wallboard]
) -> None:
    token, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    response = client.get(f"/wallboards/sales/tv/?token={raw}")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    token.refresh_from_db()
    assert token.last_seen_at is not None


def test_another_wallboards_token_is_refused(client: Client, boards: dict[str, Wallboard]) -> None:
    _, raw = DisplayToken.issue(boards["night"], "Night TV")
    response = client.get(f"/wallboards/sales/tv/?token={raw}")
    assert response.status_code == 403
    assert "not valid for this wallboard" in response.content.decode()


def test_a_revoked_token_is_refused_and_says_why(
    client: Client, boards: dict[str, Wallboard]
) -> None:
    token, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    token.revoke()
    response = client.get(f"/wallboards/sales/tv/?token={raw}")
    assert response.status_code == 403
    assert "This screen&#x27;s link was revoked" in response.content.decode()


def test_a_token_shows_the_wallboards_in_its_rotation_and_no_others(
    client: Client, boards: dict[str, Wallboard]
) -> None:
    _, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    shown = client.get(f"/wallboards/billing/tv/?token={raw}&via=sales")
    assert shown.status_code == 200
    assert page_config(shown.content.decode())["rotation_owner"] == "sales"
    refused = client.get(f"/wallboards/night/tv/?token={raw}&via=sales")
    assert refused.status_code == 403
    assert "not in the rotation" in refused.content.decode()


def test_a_tv_theme_can_be_chosen_in_the_url(client: Client, boards: dict[str, Wallboard]) -> None:
    _, raw = DisplayToken.issue(boards["sales"], "Floor 2 TV")
    assert (
        'class="tv theme-light'
        in client.get(f"/wallboards/sales/tv/?token={raw}&theme=light").content.decode()
    )
    assert (
        'class="tv theme-dark'
        in client.get(f"/wallboards/sales/tv/?token={raw}&theme=<script>").content.decode()
    )


class InlineCode(HTMLParser):
    """Finds what a strict Content-Security-Policy would block: inline code and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if "style" in named:
            self.found.append(f"style attribute on <{tag}>")
        if any(name.startswith("on") for name in named):
            self.found.append(f"event handler on <{tag}>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            self.found.append("inline <script>")


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/wallboards/", "/wallboards/sales/", "/wallboards/sales/tv/"]
)
def test_pages_work_under_a_strict_content_security_policy(
    signed_in: Client, client: Client, path: str
) -> None:
    response = (client if path == "/accounts/login/" else signed_in).get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    parser = InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == []


def page_config(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script id="wallboard-config" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "the page carries its config in a JSON script tag"
    config: dict[str, Any] = json.loads(match.group(1))
    return config


# --- The page's pure modules, run in Chromium ----------------------------------

STATIC = Path(__file__).resolve().parent.parent / "static"
# How a page shows a value Amazon Connect could not calculate: a dash, never 0.
UNKNOWN = "\u2013"
MODULE_ORIGIN = "http://wallboard.test"


@pytest.fixture(scope="module")
def modules(browser: Browser) -> Iterator[Page]:  # noqa: F811
    """A blank page that can import the wallboard's ES modules (served from static/)."""
    context = new_context(browser)

    def serve(route: Any) -> None:
        path = route.request.url.removeprefix(MODULE_ORIGIN + "/static/")
        file = STATIC / path
        if path.endswith(".js") and file.is_file():
            route.fulfill(body=file.read_text(), content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>modules</title>", content_type="text/html")

    context.route(f"{MODULE_ORIGIN}/**", serve)
    page = context.new_page()
    page.goto(MODULE_ORIGIN + "/")
    yield page
    context.close()


def run_module(page: Page, module: str, body: str, arg: Any = None) -> Any:
    """Evaluate `body` (an async function of `m`, the module, and `arg`) in the page."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/static/wallboard/{module}'); "
        f"return (async (m, arg) => {{ {body} }})(m, arg); }}",
        arg,
    )


@pytest.mark.browser
def test_durations_read_as_the_console_shows_them(modules: Page) -> None:
    seconds = [0, 5, 59.9, 60, 61, 599, 3599, 3600, 3661, 36000, 86399]
    shown = run_module(
        modules, "format.js", "return arg.map((s) => m.formatValue(s, 'SECONDS'));", seconds
    )
    assert shown == [format_duration(s) for s in seconds]
    assert run_module(modules, "format.js", "return m.formatValue(null, 'SECONDS');") == UNKNOWN
    assert run_module(modules, "format.js", "return m.formatValue(0, 'COUNT');") == "0"
    assert run_module(modules, "format.js", "return m.formatValue(87.4, 'PERCENT');") == "87%"


@pytest.mark.browser
def test_reconnect_delays_are_full_jitter_from_one_to_thirty_seconds(modules: Page) -> None:
    ceilings = run_module(
        modules,
        "connection.js",
        "return [0,1,2,3,4,5,6,10].map((n) => m.backoffDelay(n, () => 1));",
    )
    assert ceilings == [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
    assert run_module(modules, "connection.js", "return m.backoffDelay(7, () => 0);") == 0


@pytest.mark.browser
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


APPLY_RULE = """
  const freeze = (o) => { if (o && typeof o === "object") { Object.values(o).forEach(freeze);
                          Object.freeze(o); } return o; };
  const HOUR = 3600000, B = 30000, t0 = 1_800_000_000_000;
  const row = (key, n) => ({ key, label: key, dimensions: {}, values: { CONTACTS_IN_QUEUE: n },
                             levels: {} });
  const snapshot = freeze({ type: "snapshot", queue_filter: 3, seq: 10, status: "ok",
    metrics: [], groupings: ["QUEUE"], trend_metrics: ["CONTACTS_IN_QUEUE"],
    rows: [row("QUEUE=a", 1), row("QUEUE=b", 0)], totals: { values: {}, levels: {} },
    trends: { "QUEUE=a": { CONTACTS_IN_QUEUE: [[t0, 1], [t0 + B, 2]] },
              "QUEUE=gone": { CONTACTS_IN_QUEUE: [[t0, 4]] } } });
  // Queue a (position 0 in the base) changes to n; nothing else.
  const update = (seq, bucket, n, filter = 3, base = seq - 1) => freeze({ type: "update",
    queue_filter: filter, seq, base, status: "ok", totals: { values: {}, levels: {} },
    trend_bucket: bucket, changes: { 0: { values: { CONTACTS_IN_QUEUE: n } } } });
  let s = m.applyMessage(m.initialState({ title: "T" }), snapshot);
  const rowB = s.data.rows[1];
  s = m.applyMessage(s, update(11, t0 + B, 5));          // same bucket: replaces
  const replaced = s.data.trends["QUEUE=a"].CONTACTS_IN_QUEUE;
  const keptRow = s.data.rows[1] === rowB;
  s = m.applyMessage(s, update(12, t0 + 2 * B, 6));      // next bucket: appends
  const appended = s.data.trends["QUEUE=a"].CONTACTS_IN_QUEUE;
  const ignoredOld = m.applyMessage(s, update(12, t0 + 3 * B, 9)) === s;
  const ignoredOther = m.applyMessage(s, update(13, t0 + 3 * B, 9, 4)) === s;
  const heartbeat = m.applyMessage(s, { type: "heartbeat" }) === s;
  const gap = m.applyMessage(s, update(14, t0 + 3 * B, 9, 3, 13));  // 13 never came
  s = m.applyMessage(s, update(13, t0 + HOUR + B, 7));   // an hour on: old points drop
  // b goes, c comes, and the order is c then a.
  const moved = m.applyMessage(s, freeze({ type: "update", queue_filter: 3, seq: 14, base: 13,
    status: "ok", totals: { values: {}, levels: {} }, trend_bucket: null,
    order: ["QUEUE=c", 0], rows: [row("QUEUE=c", 2)] })).data.rows.map((r) => r.key);
  const ticker = m.applyMessage(s, { type: "wallboard", ticker: "Lunch at 1" });
  return { replaced, appended, ignoredOld, ignoredOther, heartbeat, keptRow, moved,
           gap: { outOfStep: gap.outOfStep, seq: gap.data.seq },
           afterHour: s.data.trends, rows: s.data.rows, seq: s.data.seq,
           ticker: ticker.wallboard.ticker, keptData: ticker.data === s.data,
           revoked: m.applyMessage(s, { type: "revoked", reason: "gone" }).revoked };
"""


@pytest.mark.browser
def test_apply_message_follows_the_snapshot_and_update_rule(modules: Page) -> None:
    result = run_module(modules, "state.js", APPLY_RULE)
    t0, bucket, hour = 1_800_000_000_000, 30_000, 3_600_000
    assert result["replaced"] == [[t0, 1], [t0 + bucket, 5]]
    assert result["appended"] == [[t0, 1], [t0 + bucket, 5], [t0 + 2 * bucket, 6]]
    assert result["ignoredOld"] and result["ignoredOther"] and result["heartbeat"]
    # A row the update left alone is the same object: the renderer skips it.
    assert result["keptRow"]
    # An update that does not follow is not applied: the page connects again.
    assert result["gap"] == {"outOfStep": True, "seq": 12}
    # Every row gets a point per bucket; points 60 minutes or more before the newest
    # bucket are gone, with rows left empty.
    assert result["afterHour"] == {
        "QUEUE=a": {"CONTACTS_IN_QUEUE": [[t0 + 2 * bucket, 6], [t0 + hour + bucket, 7]]},
        "QUEUE=b": {"CONTACTS_IN_QUEUE": [[t0 + 2 * bucket, 0], [t0 + hour + bucket, 0]]},
    }
    assert result["rows"][0]["values"] == {"CONTACTS_IN_QUEUE": 7}
    assert result["moved"] == ["QUEUE=c", "QUEUE=a"]
    assert result["seq"] == 13
    assert result["ticker"] == "Lunch at 1" and result["keptData"]
    assert result["revoked"] == "gone"


# --- The real demo in a real browser -------------------------------------------

# A threshold no queue can meet, on one queue only: its "Online" cell is
# always critical, and no other cell changes because of it.
ALWAYS_CRITICAL_QUEUE = "Billing"
SETUP_DEMO = f"""
import json
from connectmetrics.models import Queue, Threshold
from dashboard.models import Wallboard
demo = Wallboard.objects.get(slug="demo")
queue = Queue.objects.get(name={ALWAYS_CRITICAL_QUEUE!r})
Threshold.objects.create(queue_filter=demo.queue_filter, queue=queue, metric="AGENTS_ONLINE",
                         warning=1_000_000, critical=999_999, direction="lower_is_worse")
# Screens stay on the wallboard under test unless a test asks for rotation.
Wallboard.objects.update(rotation_seconds=3600)
print(json.dumps(f"QUEUE={{queue.queue_id}}"))
"""


@pytest.fixture(scope="module")
def demo_and_critical_key(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DemoSite, str]]:
    site = DemoSite(tmp_path_factory.mktemp("demo"))
    key = str(site.shell(SETUP_DEMO))
    site.start()
    yield site, key
    site.stop()


@pytest.fixture
def demo(demo_and_critical_key: tuple[DemoSite, str]) -> DemoSite:
    return demo_and_critical_key[0]


@pytest.fixture
def critical_key(demo_and_critical_key: tuple[DemoSite, str]) -> str:
    """The row key of the queue whose "Online" cell is always critical."""
    return demo_and_critical_key[1]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:  # noqa: F811
    made = new_context(browser)
    yield made
    made.close()


@pytest.fixture
def supervisor_page(context: BrowserContext, demo: DemoSite) -> Page:
    page = context.new_page()
    sign_in(page, demo)
    return page


class SocketLog:
    """Every message the page's wallboard socket received, checked against the contract,
    and the numbers they add up to after each snapshot or update (tests/socket_rule.py)."""

    def __init__(self, page: Page) -> None:
        self.messages: list[dict[str, Any]] = []
        self.states: list[dict[str, Any]] = []
        self._state: Snapshot | None = None
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        if "/ws/wallboards/" in socket.url:
            socket.on("framereceived", self._received)

    def _received(self, frame: str | bytes) -> None:
        message = socket_messages.decode(frame)
        self.messages.append(json.loads(frame))
        if isinstance(message, Snapshot):
            self._state = message
        elif isinstance(message, Update) and self._state is not None:
            self._state = apply_update(self._state, message)
        else:
            return
        self.states.append(msgspec.to_builtins(self._state))

    def with_seq(self, seq: int) -> dict[str, Any]:
        """All the numbers as of `seq`, as a snapshot would carry them."""
        for state in reversed(self.states):
            if state["seq"] == seq:
                return state
        raise AssertionError(f"the socket sent no snapshot or update with seq {seq}")


def shown(value: float | None, unit: str) -> str:
    """A value as the page must show it (format.js): the console's formats."""
    if value is None:
        return UNKNOWN
    if unit == "SECONDS":
        return format_duration(value)
    if unit == "PERCENT":
        return f"{int(value + 0.5)}%"
    return str(int(value + 0.5))


READ_TABLE = """() => {
  const rows = {};
  for (const tr of document.querySelectorAll("#queue-table tbody tr")) {
    const cells = {};
    for (const td of tr.querySelectorAll("td")) {
      cells[td.dataset.metric] = td.querySelector(".value").textContent;
    }
    rows[tr.dataset.key] = { label: tr.querySelector("th").textContent, cells };
  }
  const headers = [...document.querySelectorAll("#queue-table thead th")]
    .map((th) => th.textContent.trim());
  const order = [...document.querySelectorAll("#queue-table tbody tr")]
    .map((tr) => tr.dataset.key);
  return { seq: Number(document.body.dataset.seq), rows, headers, order };
}"""


def expected_rows(msg: dict[str, Any]) -> dict[str, Any]:
    units = {m["name"]: m["unit"] for m in msg["metrics"]}
    return {
        row["key"]: {
            "label": row["label"],
            "cells": {name: shown(value, units[name]) for name, value in row["values"].items()},
        }
        for row in msg["rows"]
    }


def live_table(page: Page) -> dict[str, Any]:
    """The table once it shows real numbers, read in one go with the seq it shows."""
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    table: dict[str, Any] = page.evaluate(READ_TABLE)
    return table


@pytest.mark.browser
def test_the_table_shows_the_numbers_the_socket_sent(supervisor_page: Page, demo: DemoSite) -> None:
    log = SocketLog(supervisor_page)
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    table = live_table(supervisor_page)
    msg = log.with_seq(table["seq"])
    assert msg["rows"], "the demo has queues"
    assert table["rows"] == expected_rows(msg)
    # Column headings are the console's labels, as the snapshot carries them.
    labels = [m["label"] for m in msg["metrics"]]
    assert table["headers"][1:] == labels
    assert labels == ["Online", "Available", "On contact", "ACW", "In queue", "Oldest"]
    assert table["order"] == [row["key"] for row in msg["rows"]]


@pytest.mark.browser
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
    assert later["rows"] == expected_rows(log.with_seq(later["seq"]))
    assert supervisor_page.text_content("#data-time") != first_time


READ_ROWS_ON_SCREEN = """() => {
  const onScreen = (tr) => {
    const box = tr.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  };
  const rows = [...document.querySelectorAll("#queue-table tbody tr")];
  const shown = {};
  for (const tr of rows.filter(onScreen)) {
    const cells = {};
    for (const td of tr.querySelectorAll("td")) {
      cells[td.dataset.metric] = td.querySelector(".value").innerText;
    }
    shown[tr.dataset.key] = { label: tr.querySelector("th").innerText, cells };
  }
  return {
    seq: Number(document.body.dataset.seq),
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
    document.body, {{ attributes: true, attributeFilter: ["data-seq"] }});
}}"""


def rows_on_screen_are_current(page: Page, log: SocketLog) -> dict[str, Any] | None:
    """What the rows on screen show, if it is the numbers of the seq the page shows."""
    seen: dict[str, Any] = page.evaluate(READ_ROWS_ON_SCREEN)
    return seen if shows_its_seq(seen, log) else None


def whole_table_is_current(page: Page, log: SocketLog) -> bool:
    table = page.evaluate(READ_TABLE)
    return bool(table["rows"] == expected_rows(log.with_seq(table["seq"])))


def shows_its_seq(seen: dict[str, Any], log: SocketLog) -> bool:
    expected = expected_rows(log.with_seq(seen["seq"]))
    return all(expected[key] == shown for key, shown in seen["shown"].items())


@pytest.mark.browser
def test_rows_out_of_sight_are_current_a_moment_after_an_update(
    browser: Browser,  # noqa: F811
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
            expected = expected_rows(log.with_seq(seen["seq"]))
            assert seen["shown"] == {key: expected[key] for key in seen["shown"]}
        # All rows, out of sight too, match one update: the page does not wait
        # for them to be scrolled into view.
        wait_until(
            lambda: whole_table_is_current(page, log),
            timeout=10,
            message="rows out of sight never caught up with the numbers on screen",
        )
        # Scrolled to the bottom, the last rows show current numbers.
        page.mouse.wheel(0, 10_000)
        wait_until(
            lambda: (r := rows_on_screen_are_current(page, log)) and r["last"] in r["shown"],
            timeout=10,
            message="rows scrolled into view did not show the current numbers",
        )
    finally:
        context.close()


def cell_style(page: Page, selector: str) -> dict[str, Any]:
    style: dict[str, Any] = page.eval_on_selector(
        selector,
        """(cell) => {
          const value = cell.querySelector(".value"), icon = cell.querySelector(".cue-icon");
          const use = cell.querySelector(".cue use");
          return {
            classes: [...cell.classList],
            background: getComputedStyle(cell).backgroundColor,
            weight: Number(getComputedStyle(value).fontWeight),
            iconShown: icon.getBoundingClientRect().width > 0,
            icon: use.getAttribute("href"),
            words: cell.querySelector(".cue .visually-hidden").textContent,
          };
        }""",
    )
    return style


@pytest.mark.browser
def test_a_breach_is_critical_by_colour_icon_and_weight(
    supervisor_page: Page, demo: DemoSite, critical_key: str
) -> None:
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    live_table(supervisor_page)
    key = critical_key
    critical = cell_style(supervisor_page, f'tr[data-key="{key}"] td[data-metric=AGENTS_ONLINE]')
    calm = cell_style(supervisor_page, f'tr[data-key="{key}"] td[data-metric=AGENTS_ON_CONTACT]')
    assert "level-critical" in critical["classes"]
    assert critical["icon"] == "#icon-critical" and critical["iconShown"]
    assert critical["words"] == "Critical: "
    assert critical["weight"] >= 800 > calm["weight"]
    assert critical["background"] == "rgb(196, 22, 28)"
    assert "level-ok" in calm["classes"] and not calm["iconShown"]
    # The row says so at its start too, for a supervisor scanning the names.
    assert "row-critical" in (supervisor_page.get_attribute(f'tr[data-key="{key}"]', "class") or "")


@pytest.mark.browser
def test_sorting_by_a_column_works_with_the_keyboard(supervisor_page: Page, demo: DemoSite) -> None:
    log = SocketLog(supervisor_page)
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    live_table(supervisor_page)

    def online_descending() -> bool:
        table = supervisor_page.evaluate(READ_TABLE)
        rows = {row["key"]: row for row in log.with_seq(table["seq"])["rows"]}
        online = [rows[key]["values"]["AGENTS_ONLINE"] for key in table["order"]]
        return online == sorted(online, reverse=True)

    def names_ascending() -> bool:
        table = supervisor_page.evaluate(READ_TABLE)
        names = [table["rows"][key]["label"] for key in table["order"]]
        return names == sorted(names, key=str.lower)

    supervisor_page.focus("th[data-sort-key=AGENTS_ONLINE] button")
    supervisor_page.keyboard.press("Enter")
    expect(supervisor_page.locator("th[data-sort-key=AGENTS_ONLINE]")).to_have_attribute(
        "aria-sort", "descending"
    )
    wait_until(online_descending, timeout=5, message="the rows were not sorted by Online")
    supervisor_page.keyboard.press("Enter")
    expect(supervisor_page.locator("th[data-sort-key=AGENTS_ONLINE]")).to_have_attribute(
        "aria-sort", "ascending"
    )
    supervisor_page.click("th[data-sort-key=label] button")
    wait_until(names_ascending, timeout=5, message="the rows were not sorted by name")
    # The choice is kept for the next visit.
    supervisor_page.reload()
    expect(supervisor_page.locator("th[data-sort-key=label]")).to_have_attribute(
        "aria-sort", "ascending"
    )


def open_tv(context: BrowserContext, demo: DemoSite, query: str = "") -> Page:
    page = context.new_page()
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}{query}"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    return page


@pytest.mark.browser
def test_a_cut_socket_shows_the_stale_banner_and_reconnecting_clears_it(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = open_tv(context, demo)
    page.evaluate("window.sameDocument = true")
    demo.stop()
    try:
        banner = page.locator("#stale-banner")
        expect(banner).to_be_visible(timeout=3_000)
        # Read after the stop: an update may land between a read and the stop.
        data_time = page.text_content("#data-time")
        expect(banner).to_contain_text(f"Data from {data_time}")
        expect(banner).to_contain_text("reconnecting")
        expect(page.locator("#live-state")).to_have_text("Not live")
        # The old numbers are greyed out, never shown as if live.
        opacity = page.eval_on_selector(".tiles", "(t) => Number(getComputedStyle(t).opacity)")
        assert opacity < 0.5
        page.wait_for_timeout(3_000)
    finally:
        demo.start()
    # Back by itself: jittered backoff is at most 8 s after this long an outage.
    expect(page.locator("#stale-banner")).to_be_hidden(timeout=20_000)
    expect(page.locator("#live-state")).to_have_text("Live")
    assert page.evaluate("window.sameDocument") is True


@pytest.mark.browser
def test_a_socket_that_goes_quiet_turns_the_screen_stale(
    context: BrowserContext, demo: DemoSite
) -> None:
    """Numbers older than two poll intervals and a margin are marked, link up or not."""
    page = context.new_page()
    held = {"on": False}

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: None if held["on"] else ws.send(message))

    page.route_web_socket("**/ws/wallboards/**", relay)
    page.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    held["on"] = True
    started = page.evaluate("Date.now()")
    page.wait_for_selector("body[data-freshness=stale]", timeout=(STALE_BOUND_SECONDS + 3) * 1000)
    waited = (page.evaluate("Date.now()") - started) / 1000
    assert waited <= STALE_BOUND_SECONDS + 2
    expect(page.locator("#stale-banner")).to_contain_text("waiting for new numbers")
    held["on"] = False
    page.wait_for_selector("body[data-freshness=live]", timeout=5_000)


@pytest.mark.browser
def test_the_page_reloads_itself_onto_a_new_build(context: BrowserContext, demo: DemoSite) -> None:
    page = open_tv(context, demo)
    page.evaluate("window.sameDocument = true")
    demo.stop()
    demo.start(build="page-tests-2")

    def shown_build() -> str:
        try:
            return str(json.loads(page.text_content("#wallboard-config") or "{}").get("build"))
        except PlaywrightError:  # in the middle of the reload
            return ""

    wait_until(
        lambda: shown_build() == "page-tests-2",
        timeout=30,
        message="the page did not reload onto the new build",
    )
    page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    assert page.evaluate("window.sameDocument === undefined")


@pytest.mark.browser
def test_display_tokens_open_only_their_own_wallboard(
    context: BrowserContext, demo: DemoSite
) -> None:
    page = open_tv(context, demo)
    assert page.locator(".tile").count() > 0
    assert "/accounts/login/" not in page.url
    other = demo.issue_token("demo-channels", "Channels TV")
    response = page.goto(demo.url(f"/wallboards/demo/tv/?token={other}"))
    assert response is not None and response.status == 403
    expect(page.locator(".refusal-heading")).to_have_text(
        "This screen's display token is not valid for this wallboard"
    )
    revoked = demo.issue_token("demo", "Old TV")
    demo.shell(
        "from dashboard.models import DisplayToken; "
        "DisplayToken.objects.get(label='Old TV').revoke(); print(1)"
    )
    response = page.goto(demo.url(f"/wallboards/demo/tv/?token={revoked}"))
    assert response is not None and response.status == 403
    expect(page.locator(".refusal-heading")).to_have_text("This screen's link was revoked")


def admin_page(context: BrowserContext, demo: DemoSite) -> Page:
    page = context.new_page()
    sign_in(page, demo)
    return page


@pytest.mark.browser
def test_revoking_a_token_stops_its_screen_at_once_and_says_why(
    browser: Browser,  # noqa: F811
    context: BrowserContext,
    demo: DemoSite,
) -> None:
    raw = demo.issue_token("demo", "Floor 3 TV")
    token_id = demo.shell(
        "from dashboard.models import DisplayToken; "
        "print(DisplayToken.objects.get(label='Floor 3 TV').pk)"
    )
    tv_context = new_context(browser)
    try:
        tv = tv_context.new_page()
        tv.goto(demo.url(f"/wallboards/demo/tv/?token={raw}"))
        tv.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        admin = admin_page(context, demo)
        admin.goto(demo.url("/admin/dashboard/displaytoken/"))
        admin.check(f"input[name=_selected_action][value='{token_id}']")
        admin.select_option("select[name=action]", "revoke")
        admin.click("button[name=index]")
        expect(tv.locator("#refusal")).to_be_visible(timeout=5_000)
        expect(tv.locator("#refusal .refusal-heading")).to_have_text(
            "This screen's link was revoked"
        )
        # It stops: no new socket is opened after the refusal.
        sockets: list[WebSocket] = []
        tv.on("websocket", lambda socket: sockets.append(socket))
        tv.wait_for_timeout(3_000)
        assert sockets == []
    finally:
        tv_context.close()


@pytest.mark.browser
def test_a_supervisor_taken_off_a_wallboard_or_signed_out_sees_why_at_once(
    browser: Browser,  # noqa: F811
    context: BrowserContext,
    demo: DemoSite,
) -> None:
    demo.shell(
        "from django.contrib.auth.models import User; from dashboard.models import Wallboard; "
        "board = Wallboard.objects.get(slug='demo'); "
        "[board.viewers.add(User.objects.create_user(name, password='pw-for-a-viewer')) "
        "for name in ('leaving-viewer', 'staying-viewer')]; print(1)"
    )
    viewer_context = new_context(browser)
    try:
        leaving = viewer_context.new_page()
        sign_in(leaving, demo, "leaving-viewer", "pw-for-a-viewer")
        leaving.goto(demo.url("/wallboards/demo/"))
        leaving.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        admin = admin_page(context, demo)
        wallboard_id = demo.shell(
            "from dashboard.models import Wallboard; print(Wallboard.objects.get(slug='demo').pk)"
        )
        admin.goto(demo.url(f"/admin/dashboard/wallboard/{wallboard_id}/change/"))
        admin.dblclick("#id_viewers_to option:text-is('leaving-viewer')")
        admin.click("input[name=_save]")
        expect(admin.locator(".messagelist .success")).to_be_visible()
        expect(leaving.locator("#refusal .refusal-heading")).to_have_text(
            "You no longer have access to this wallboard", timeout=5_000
        )
    finally:
        viewer_context.close()
    # Signing out in another tab of the same browser stops its open wallboard.
    viewer_context = new_context(browser)
    try:
        staying = viewer_context.new_page()
        sign_in(staying, demo, "staying-viewer", "pw-for-a-viewer")
        staying.goto(demo.url("/wallboards/demo/"))
        staying.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        other_tab = viewer_context.new_page()
        other_tab.goto(demo.url("/wallboards/"))
        other_tab.click("button:text-is('Sign out')")
        expect(staying.locator("#refusal .refusal-heading")).to_have_text(
            "You are signed out", timeout=5_000
        )
    finally:
        viewer_context.close()


@pytest.mark.browser
def test_the_ticker_appears_on_open_screens_when_an_admin_saves_it(
    context: BrowserContext, demo: DemoSite
) -> None:
    tv = open_tv(context, demo)
    tv.evaluate("window.sameDocument = true")
    expect(tv.locator("#ticker")).to_be_hidden()
    wallboard_id = demo.shell(
        "from dashboard.models import Wallboard; print(Wallboard.objects.get(slug='demo').pk)"
    )
    admin = admin_page(context, demo)
    admin.goto(demo.url(f"/admin/dashboard/wallboard/{wallboard_id}/change/"))
    line = "Storm warning: long waits expected in Claims after 15:00"
    admin.fill("#id_ticker", line)
    admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
    try:
        expect(tv.locator("#ticker-text")).to_have_text(line, timeout=10_000)
        assert tv.evaluate("window.sameDocument") is True
    finally:
        demo.shell(
            "from dashboard.models import Wallboard; "
            "Wallboard.objects.filter(slug='demo').update(ticker=''); print(1)"
        )


def shows_text(elements: Locator, text: str) -> bool:
    return text in elements.all_text_contents()


MARKUP_NAME = '<img src=x onerror="window.pwned=1"><b>Back Office</b>'


@pytest.mark.browser
def test_queue_names_with_markup_are_shown_as_text(
    supervisor_page: Page, context: BrowserContext, demo: DemoSite
) -> None:
    demo.shell(
        "from connectmetrics.models import Queue; "
        f"Queue.objects.filter(name='Back Office').update(name={MARKUP_NAME!r}); print(1)"
    )
    try:
        tv = open_tv(context, demo)
        supervisor_page.goto(demo.url("/wallboards/demo/"))
        for page, selector in ((supervisor_page, "#queue-table th.label"), (tv, ".tile-name")):
            page.wait_for_selector("body[data-freshness=live]", timeout=20_000)
            wait_until(
                partial(shows_text, page.locator(selector), MARKUP_NAME),
                timeout=10,
                message="the renamed queue did not appear",
            )
            assert page.locator("img[src=x], .tile-name b, th.label b").count() == 0
            assert page.evaluate("window.pwned") is None
    finally:
        demo.shell(
            "from connectmetrics.models import Queue; "
            f"Queue.objects.filter(name={MARKUP_NAME!r}).update(name='Back Office'); print(1)"
        )


FIT = """() => {
  const doc = document.documentElement;
  const inside = (el) => {
    const r = el.getBoundingClientRect();
    return r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5
      && r.bottom <= innerHeight + 0.5;
  };
  const values = [...document.querySelectorAll(".tile .metric")];
  return {
    scrolls: doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth,
    tiles: document.querySelectorAll(".tile").length,
    allInside: [...document.querySelectorAll(".tile, .total, #clock")].every(inside),
    clipped: values.filter((m) => m.scrollWidth > m.clientWidth + 1).length,
    valueShare: parseFloat(getComputedStyle(document.querySelector(".tile .value")).fontSize)
      / innerHeight,
    totalShare: parseFloat(getComputedStyle(document.querySelector(".total .value")).fontSize)
      / innerHeight,
  };
}"""


@pytest.mark.browser
def test_the_tv_fills_a_full_hd_and_a_4k_screen_without_scrolling(
    browser: Browser,  # noqa: F811
    demo: DemoSite,
) -> None:
    fits = {}
    for width, height in ((1920, 1080), (3840, 2160)):
        context = new_context(browser, viewport={"width": width, "height": height})
        try:
            page = open_tv(context, demo)
            fits[height] = page.evaluate(FIT)
        finally:
            context.close()
    for fit in fits.values():
        assert not fit["scrolls"] and fit["allInside"] and fit["clipped"] == 0
        assert fit["tiles"] == 20  # the demo's queues, all on one page
        assert fit["valueShare"] >= 0.03  # digits at least 3% of the screen's height
        assert fit["totalShare"] >= 0.06
    # The same picture on both screens, only sharper.
    assert fits[2160]["valueShare"] == pytest.approx(fits[1080]["valueShare"], rel=0.05)


@pytest.mark.browser
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


@pytest.mark.browser
def test_critical_breaches_flash_unless_the_viewer_prefers_reduced_motion(
    browser: Browser,  # noqa: F811
    demo: DemoSite,
    critical_key: str,
) -> None:
    selector = f'.tile[data-key="{critical_key}"] .metric[data-metric=AGENTS_ONLINE]'
    animations = {}
    for motion in ("no-preference", "reduce"):
        context = new_context(browser, reduced_motion=motion)
        try:
            page = open_tv(context, demo)
            animations[motion] = page.eval_on_selector(
                selector,
                "(m) => [m.classList.contains('level-critical'), "
                "getComputedStyle(m, '::after').animationName]",
            )
        finally:
            context.close()
    assert animations == {"no-preference": [True, "breach"], "reduce": [True, "none"]}


def critical_cells(msg: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (row["key"], metric)
        for row in msg["rows"]
        for metric, level in row["levels"].items()
        if level == "critical"
    }


@pytest.mark.browser
def test_a_new_critical_breach_chimes_once_sound_is_enabled(
    context: BrowserContext, demo: DemoSite
) -> None:
    demo.shell(
        "from dashboard.models import Wallboard; "
        "Wallboard.objects.filter(slug='demo').update(sound_on_critical=True); print(1)"
    )
    try:
        tv = context.new_page()
        log = SocketLog(tv)
        tv.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
        tv.wait_for_selector("body[data-freshness=live]", timeout=20_000)
        enable = tv.locator("#enable-sound")
        expect(enable).to_have_text("Click to enable sound alerts")
        enable.click()  # the click browsers require before a page may play sound
        expect(enable).to_be_hidden()
        enabled_at = tv.evaluate("window.wallboardPage.state.data.seq")
        assert tv.evaluate("window.wallboardChime.played") == 0  # breaches already shown
        demo.shell(
            "from connectmetrics.models import Queue, Threshold; "
            "from dashboard.models import Wallboard; "
            "Threshold.objects.create(queue_filter=Wallboard.objects.get(slug='demo').queue_filter,"
            " queue=Queue.objects.get(name='Claims'), metric='AGENTS_ONLINE', warning=1e6,"
            " critical=1e6 - 1, direction='lower_is_worse'); print(1)"
        )
        claims = demo.shell(
            "import json; from connectmetrics.models import Queue; "
            "print(json.dumps('QUEUE=' + Queue.objects.get(name='Claims').queue_id))"
        )
        wait_until(
            lambda: tv.evaluate("window.wallboardChime.played") >= 1,
            timeout=10,
            message="no chime for the new critical breach",
        )
        tv.wait_for_timeout(2_000)
        played, seq = tv.evaluate(
            "[window.wallboardChime.played, window.wallboardPage.state.data.seq]"
        )
        # One chime per update that brought a critical cell that was not critical before
        # (the simulated centre may breach on its own meanwhile), none for the others.
        updates = [state for state in log.states if enabled_at <= state["seq"] <= seq]
        new_breaches = [
            critical_cells(after) - critical_cells(before) for before, after in pairwise(updates)
        ]
        assert played == sum(1 for cells in new_breaches if cells)
        assert any((claims, "AGENTS_ONLINE") in cells for cells in new_breaches)
    finally:
        demo.shell(
            "from connectmetrics.models import Threshold; from dashboard.models import Wallboard; "
            "Threshold.objects.filter(queue__name='Claims', metric='AGENTS_ONLINE').delete(); "
            "Wallboard.objects.filter(slug='demo').update(sound_on_critical=False); print(1)"
        )


SAME_AS_FRESH = """async () => {
  const { applyMessage } = await import("/static/wallboard/state.js");
  const page = window.wallboardPage;
  const url = new URL(page.socket.url);
  // A second screen's first snapshot, taken when the page has applied the
  // same sequence number.
  const fresh = await new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "snapshot") { socket.close(); resolve(msg); }
    };
  });
  for (let i = 0; i < 50 && page.state.data.seq < fresh.seq; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const mine = page.state.data;
  const rebuilt = applyMessage({ wallboard: {}, data: null }, fresh).data;
  const keep = (d) => JSON.stringify({ seq: d.seq, rows: d.rows, totals: d.totals,
    trends: d.trends, status: d.status, fetched_at: d.fetched_at, metrics: d.metrics });
  return { seq: [mine.seq, fresh.seq], same: keep(mine) === keep(rebuilt),
           updates: page.renders.count, points: Object.keys(mine.trends).length };
}"""


@pytest.mark.browser
def test_a_snapshot_plus_the_updates_after_it_equals_a_fresh_snapshot(
    supervisor_page: Page, demo: DemoSite
) -> None:
    supervisor_page.goto(demo.url("/wallboards/demo/"))
    live_table(supervisor_page)
    supervisor_page.wait_for_timeout(4_000)  # several updates, each with trend points
    for _ in range(3):  # an update may land between the two reads: compare again
        result = supervisor_page.evaluate(SAME_AS_FRESH)
        if result["seq"][0] == result["seq"][1]:
            break
    assert result["seq"][0] == result["seq"][1]
    assert result["updates"] >= 3 and result["points"] == 20
    assert result["same"]


@pytest.mark.browser
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
        "#queue-table tbody td",
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


@pytest.mark.browser
def test_a_tv_rotates_through_its_wallboards_rotation_with_one_token(
    context: BrowserContext, demo: DemoSite
) -> None:
    demo.shell(
        "from dashboard.models import Wallboard; "
        "Wallboard.objects.filter(slug='demo').update(rotation_seconds=5); print(1)"
    )
    try:
        tv = open_tv(context, demo)
        tv.wait_for_url("**/wallboards/demo-channels/tv/?**", timeout=10_000)
        assert "via=demo" in tv.url and f"token={demo.tv_token}" in tv.url
        expect(tv.locator("#board-title")).to_have_text("Queues by channel")
        expect(tv.locator("#refusal")).to_be_hidden()
        tv.wait_for_selector("body[data-freshness]", timeout=5_000)
        # demo-channels follows demo's rotation and time, back to demo.
        tv.wait_for_url(f"**/wallboards/demo/tv/?token={demo.tv_token}", timeout=10_000)
        tv.wait_for_selector("body[data-freshness=live]", timeout=20_000)
    finally:
        demo.shell(
            "from dashboard.models import Wallboard; "
            "Wallboard.objects.filter(slug='demo').update(rotation_seconds=3600); print(1)"
        )


@pytest.mark.browser
def test_an_update_that_does_not_follow_makes_the_page_connect_again(
    context: BrowserContext, demo: DemoSite
) -> None:
    """The server never sends one (a socket that missed an update gets a fresh snapshot),
    but should one come, the page must not patch its numbers with it."""
    centre = SyntheticCentre(queues=3, build=demo.build)
    snapshot = centre.snapshot()
    following = json.loads(next(centre.updates(seconds=5)))
    gap = {**following, "seq": following["seq"] + 1, "base": following["seq"]}
    sockets: list[WebSocketRoute] = []

    def feed(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        ws.send(wallboard_message("Gap", build=demo.build))
        ws.send(snapshot)
        if len(sockets) == 1:
            ws.send(json.dumps(gap))

    page = context.new_page()
    page.route_web_socket("**/ws/wallboards/**", feed)
    page.goto(demo.url("/wallboards/demo/tv/?token=" + demo.tv_token))
    # The route's handler runs while Playwright waits on the page, not in a sleep.
    for _ in range(50):
        if len(sockets) >= 2:
            break
        page.wait_for_timeout(200)
    assert len(sockets) >= 2, "the page did not connect again"
    shown = page.evaluate("window.wallboardPage.state.data.seq")
    assert shown == json.loads(snapshot)["seq"]


@pytest.mark.browser
def test_queues_that_do_not_fit_rotate_through_pages(
    context: BrowserContext, demo: DemoSite
) -> None:
    """60 queues (more than a real demo has: the socket is fed synthetic messages)."""
    centre = SyntheticCentre(queues=60, build=demo.build)

    def feed(ws: WebSocketRoute) -> None:
        ws.send(wallboard_message("Sixty queues", build=demo.build))
        ws.send(centre.snapshot())

    tv = context.new_page()
    tv.route_web_socket("**/ws/wallboards/**", feed)
    tv.goto(demo.url(f"/wallboards/demo/tv/?token={demo.tv_token}"))
    indicator = tv.locator("#page-indicator")
    expect(indicator).to_have_text(re.compile(r"Page 1 of [2-9]"))
    pages = int(indicator.text_content().split()[-1])  # type: ignore[union-attr]
    first = tv.locator(".tile-name").all_text_contents()
    assert len(first) == 60 // pages
    expect(indicator).to_have_text(f"Page 2 of {pages}", timeout=12_000)
    second = tv.locator(".tile-name").all_text_contents()
    assert len(second) == 60 // pages and not set(first) & set(second)


@pytest.mark.browser
@pytest.mark.timeout(900)
def test_screenshots_of_the_supervisor_and_tv_views(
    browser: Browser,  # noqa: F811
    demo: DemoSite,
) -> None:
    """Saved in test-artifacts/; with WALLBOARD_SCREENSHOTS=docs also in docs/screenshots/
    (which waits until the demo has run long enough for trend lines, about three minutes).

    Critical cells are captured steady (reduced motion), not halfway through a flash.
    """
    publish = os.environ.get("WALLBOARD_SCREENSHOTS") == "docs"
    demo.shell(
        "from dashboard.models import Wallboard; Wallboard.objects.filter(slug='demo')"
        ".update(ticker='Lunch cover today: the Billing team joins Claims from 12:00 to 13:00');"
        " print(1)"
    )
    context = new_context(browser, reduced_motion="reduce")
    try:
        page = context.new_page()
        sign_in(page, demo)
        page.goto(demo.url("/wallboards/demo/"))
        live_table(page)
        if publish:
            # Trend lines are drawn once they cover three minutes of the demo.
            page.wait_for_selector(".spark.has-trend", state="attached", timeout=600_000)
        save_screenshot(page, "supervisor", publish=publish)
        for name, query in (("tv", ""), ("tv-light", "&theme=light")):
            tv = open_tv(context, demo, query)
            expect(tv.locator("#ticker")).to_be_visible()
            save_screenshot(tv, name, publish=publish)
    finally:
        context.close()
        demo.shell(
            "from dashboard.models import Wallboard; "
            "Wallboard.objects.filter(slug='demo').update(ticker=''); print(1)"
        )
